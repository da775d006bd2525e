using BudgetRun.Engine.Budget;
using BudgetRun.Engine.Tests.Fakes;

namespace BudgetRun.Engine.Tests.Budget;

/// <summary>The engine's spend decisions: reported spend, health, and charging an attempt's reservations.</summary>
public sealed class RunBudgetTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Theory]
    [InlineData(100, 30, 10, SpendVerdict.Recorded, false)]       // 90 left: three more attempts
    [InlineData(100, 30, 75, SpendVerdict.RecordedRunEnds, true)] // 25 left: less than an attempt's 30
    [InlineData(100, 30, 70, SpendVerdict.Recorded, false)]       // exactly one attempt's worth left
    [InlineData(100, 30, 100, SpendVerdict.Exhausted, true)]
    [InlineData(100, 30, 150, SpendVerdict.Exhausted, true)]      // overspend is recorded, never refused
    [InlineData(100, 0, 99, SpendVerdict.Recorded, false)]        // free attempts run while any cent is left
    [InlineData(100, 0, 100, SpendVerdict.Exhausted, true)]
    public async Task ReportSpend_BetweenAttempts_DecidesWhetherTheRunGoesOn(long budget, long perAttempt, long reported,
        SpendVerdict expected, bool stops)
    {
        using var control = new RunControl();
        var run = new RunBudget(new InMemoryBudgetLedger(budget), new PerAttemptCost(perAttempt), control);

        var answer = await run.ReportSpendAsync(reported, None);

        Assert.Equal(expected, answer.Verdict);
        Assert.Equal(reported, answer.Budget.SpentCents);
        Assert.Equal(stops, control.Reason == StopReason.BudgetExhausted);
        Assert.Equal(reported, run.RunSpentCents);
    }

    [Fact]
    public async Task ReportSpend_WhileAnAttemptRuns_LetsItFinishWhenOnlyTheNextCannotBePaid()
    {
        using var control = new RunControl();
        var run = new RunBudget(new InMemoryBudgetLedger(100), new PerAttemptCost(30), control);
        var spend = await run.ReserveAttemptAsync();

        var answer = await run.ReportSpendAsync(50, None); // 100 - 30 reserved - 50 = 20 left

        Assert.NotNull(spend);
        Assert.Equal(SpendVerdict.Recorded, answer.Verdict);
        Assert.False(control.IsStopRequested);
        Assert.Equal(20, answer.Budget.RemainingCents);
    }

    [Fact]
    public async Task ReportSpend_WhenTheBudgetIsSpent_StopsTheRunningAttemptToo()
    {
        using var control = new RunControl();
        var run = new RunBudget(new InMemoryBudgetLedger(100), new PerAttemptCost(30), control);
        _ = await run.ReserveAttemptAsync();

        var answer = await run.ReportSpendAsync(70, None);

        Assert.Equal(SpendVerdict.Exhausted, answer.Verdict);
        Assert.Equal(StopReason.BudgetExhausted, control.Reason);
        Assert.Equal("reported spend reached the limit: nothing remains of 100 cents", control.Detail);
    }

    [Fact]
    public async Task ReportSpend_WhenTheLedgerIsDown_ThrowsAndChangesNothing()
    {
        using var control = new RunControl();
        var ledger = new UnreachableLedger(100) { Fails = _ => true };
        var run = new RunBudget(ledger, new PerAttemptCost(30), control);

        await Assert.ThrowsAsync<LedgerUnavailableException>(() => run.ReportSpendAsync(10, None).AsTask());

        Assert.Equal(0, run.RunSpentCents);
        Assert.False(control.IsStopRequested);
    }

    [Theory]
    [InlineData(100, 30, 0, null)]
    [InlineData(100, 30, 70, null)]                // 30 left pays one more attempt
    [InlineData(100, 30, 71, "budget exhausted")]  // 29 left does not
    [InlineData(100, 0, 99, null)]
    [InlineData(100, 0, 100, "budget exhausted")]
    public async Task UnhealthyReason_BetweenAttempts_IsTheBudgetRule(long budget, long perAttempt, long spent, string? expected)
    {
        using var control = new RunControl();
        var ledger = new InMemoryBudgetLedger(budget);
        await ledger.RecordSpendAsync(spent, None);
        var run = new RunBudget(ledger, new PerAttemptCost(perAttempt), control);

        Assert.Equal(expected, await run.UnhealthyReasonAsync(None));
    }

    [Fact]
    public async Task UnhealthyReason_WhileAPaidAttemptRuns_IsHealthy()
    {
        using var control = new RunControl();
        var run = new RunBudget(new InMemoryBudgetLedger(30), new PerAttemptCost(30), control);
        _ = await run.ReserveAttemptAsync(); // nothing left, but the running attempt is paid for

        Assert.Null(await run.UnhealthyReasonAsync(None));
    }

    [Theory]
    [InlineData(StopReason.KillSwitch, "kill switch engaged")]
    [InlineData(StopReason.BudgetExhausted, "budget exhausted")]
    [InlineData(StopReason.Terminate, null)]
    public async Task UnhealthyReason_FollowsTheStopReason(StopReason reason, string? expected)
    {
        using var control = new RunControl();
        var run = new RunBudget(new InMemoryBudgetLedger(1000), new PerAttemptCost(1), control);
        control.RequestStop(reason);

        Assert.Equal(expected, await run.UnhealthyReasonAsync(None));
    }

    [Fact]
    public async Task Settle_OfATopedUpAttempt_ChargesWhatItCostAndReleasesTheRest()
    {
        using var control = new RunControl();
        var ledger = new InMemoryBudgetLedger(100);
        var run = new RunBudget(ledger, new SlicedCost(TimeSpan.FromMinutes(1), 10, TimeSpan.FromSeconds(10)), control);
        var spend = (await run.ReserveAttemptAsync())!;
        Assert.True(await run.TryTopUpAsync(spend, run.NextTopUp(spend, TimeSpan.FromSeconds(50))!.Value));
        Assert.True(await run.TryTopUpAsync(spend, run.NextTopUp(spend, TimeSpan.FromSeconds(110))!.Value));
        Assert.Equal(30, (await ledger.SnapshotAsync(None)).ReservedCents);

        var charge = run.ChargeFor(spend, TimeSpan.FromSeconds(61)); // two slices begun
        await run.SettleAsync(spend, charge);

        var after = await ledger.SnapshotAsync(None);
        Assert.Equal(20, charge);
        Assert.Equal(20, after.SpentCents);
        Assert.Equal(0, after.ReservedCents);
        Assert.Equal(20, run.RunSpentCents);
        Assert.False(run.AttemptRunning);
    }

    [Fact]
    public async Task TopUp_WhenItDoesNotFit_IsRefusedAndReservesNothing()
    {
        using var control = new RunControl();
        var ledger = new InMemoryBudgetLedger(15);
        var run = new RunBudget(ledger, new SlicedCost(TimeSpan.FromMinutes(1), 10, TimeSpan.FromSeconds(10)), control);
        var spend = (await run.ReserveAttemptAsync())!;

        Assert.False(await run.TryTopUpAsync(spend, run.NextTopUp(spend, TimeSpan.FromSeconds(50))!.Value));

        Assert.Equal(10, spend.ReservedCents);
        Assert.Equal(10, (await ledger.SnapshotAsync(None)).ReservedCents);
    }

    [Fact]
    public async Task TopUp_WhenTheLedgerIsDown_IsRefused()
    {
        using var control = new RunControl();
        var ledger = new UnreachableLedger(100);
        var run = new RunBudget(ledger, new SlicedCost(TimeSpan.FromMinutes(1), 10, TimeSpan.FromSeconds(10)), control);
        var spend = (await run.ReserveAttemptAsync())!;
        ledger.Fails = operation => operation == "reserve";

        Assert.False(await run.TryTopUpAsync(spend, run.NextTopUp(spend, TimeSpan.Zero)!.Value));
    }
}
