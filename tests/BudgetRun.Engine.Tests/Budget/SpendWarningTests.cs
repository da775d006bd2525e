using BudgetRun.Engine.Budget;

namespace BudgetRun.Engine.Tests.Budget;

/// <summary><c>--warn-at-percent</c>: once per run, on committed spend (charges and reported spend), never on reservations.</summary>
public sealed class SpendWarningTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Theory]
    [InlineData(80, 100, 79, false)]
    [InlineData(80, 100, 80, true)]   // reaching it is crossing it
    [InlineData(80, 3, 2, false)]     // 2.4 cents is the threshold: 2 is below it
    [InlineData(80, 3, 3, true)]
    [InlineData(100, 100, 99, false)]
    [InlineData(100, 100, 150, true)] // overspend reported from outside
    [InlineData(1, 0, 0, false)]      // a budget of 0 has nothing to warn of
    [InlineData(100, 9_000_000_000_000_000, 9_000_000_000_000_000, true)] // no overflow at the largest budgets
    public void Observe_FiresWhenSpendReachesThePercentage(int percent, long budget, long spent, bool fires)
    {
        var calls = new List<long>();
        var warning = new SpendWarning(percent, budget, calls.Add);

        warning.Observe(spent);

        Assert.Equal(fires ? [spent] : [], calls);
        Assert.Equal(fires, warning.Fired);
    }

    [Fact]
    public async Task RunBudget_WarnsOnce_OnChargesAndReportedSpend_NotOnReservations()
    {
        using var control = new RunControl();
        var calls = new List<long>();
        var run = new RunBudget(new InMemoryBudgetLedger(100), new PerAttemptCost(30), control, new SpendWarning(50, 100, calls.Add));

        var first = await run.ReserveAttemptAsync();
        var second = await run.ReserveAttemptAsync(); // 60 held: reservations are not spend
        Assert.Empty(calls);
        await run.SettleAsync(first!, 30);
        Assert.Empty(calls);
        await run.ReportSpendAsync(25, None); // 55 committed
        Assert.Equal([55L], calls);
        await run.SettleAsync(second!, 30); // 85: already told
        Assert.Equal([55L], calls);
    }
}
