using BudgetRun.Engine.Budget;
using BudgetRun.Engine.Tests.Fakes;

namespace BudgetRun.Engine.Tests;

/// <summary>
/// The cost model's top-ups while an attempt runs: reserved ahead of time, and an attempt whose
/// next slice does not fit is stopped (grace included) before it runs into time nobody paid for.
/// </summary>
public sealed class SupervisorMeterTests
{
    private static readonly TimeSpan Slice = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Lead = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Run_WhenEverySliceFits_ChargesTheSlicesTheAttemptBegan()
    {
        var ledger = new InMemoryBudgetLedger(1000);
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { KillGrace = TimeSpan.FromSeconds(10) },
            ledger, new SlicedCost(Slice, 10, Lead),
            ChildScript.ExitsAfter(TimeSpan.FromSeconds(150), 0));

        var run = harness.Supervisor.RunAsync();
        await harness.WaitForStartsAsync(1);
        await harness.PassTimerAsync(TimeSpan.FromSeconds(40));  // slice 2 reserved at 0:40
        await harness.PassTimerAsync(Slice);                     // slice 3 at 1:40
        harness.Clock.Advance(TimeSpan.FromSeconds(50));         // the child ends at 2:30
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(RunOutcome.Succeeded, result.Outcome);
        Assert.Equal(30, result.SpentCents);
        var budget = await ledger.SnapshotAsync(CancellationToken.None);
        Assert.Equal(30, budget.SpentCents);
        Assert.Equal(0, budget.ReservedCents);
    }

    [Fact]
    public async Task Run_WhenTheNextSliceDoesNotFit_StopsTheAttemptInTimeAndEnds75()
    {
        var ledger = new InMemoryBudgetLedger(25); // two slices of 10 fit, the third does not
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { KillGrace = TimeSpan.FromSeconds(30) },
            ledger, new SlicedCost(Slice, 10, TimeSpan.FromSeconds(5)),
            ChildScript.RunsUntilStopped());

        var run = harness.Supervisor.RunAsync();
        await harness.WaitForStartsAsync(1);
        // The kill grace (30s) is longer than the lead (5s): the top-up is tried 30s before the paid
        // minute ends, so that a refused one still ends the attempt within what was paid.
        await harness.PassTimerAsync(TimeSpan.FromSeconds(30));
        await harness.PassTimerAsync(Slice); // the third slice, at 1:30, is refused
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(RunOutcome.BudgetExhausted, result.Outcome);
        Assert.Equal(ExitCodes.BudgetExhausted, result.ExitCode);
        Assert.Contains("the meter stopped attempt 1", result.Message, StringComparison.Ordinal);
        Assert.Equal(AttemptKind.Killed, Assert.Single(result.Attempts).Kind);
        Assert.True(Assert.Single(result.Attempts).Duration <= 2 * Slice, "the attempt ended within the two paid minutes");
        Assert.Equal(1, harness.Launcher.Starts);
        Assert.True((await ledger.SnapshotAsync(CancellationToken.None)).SpentCents <= 25, "never more than the budget");
    }
}
