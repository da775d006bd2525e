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

    [Fact]
    public async Task MeteredRun_IsChargedForTheTimeItRan_AndGivesTheRestOfTheSliceBack()
    {
        var ledger = new InMemoryBudgetLedger(1000);
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { KillGrace = TimeSpan.FromSeconds(5) },
            ledger, new MeteredCost(25, 10, Slice), // 25 an attempt plus 10 cents a minute
            ChildScript.ExitsAfter(TimeSpan.FromSeconds(150), 0));

        var run = harness.Supervisor.RunAsync();
        await harness.WaitForStartsAsync(1);
        Assert.Equal(35, (await ledger.SnapshotAsync(CancellationToken.None)).ReservedCents); // price + first slice
        await harness.PassTimerAsync(TimeSpan.FromSeconds(45));  // slice 2 reserved at 0:45
        await harness.PassTimerAsync(Slice);                     // slice 3 at 1:45
        await harness.WaitForTimerAsync(Slice);                  // the meter waits for slice 4: slice 3 is reserved
        Assert.Equal(55, (await ledger.SnapshotAsync(CancellationToken.None)).ReservedCents);
        harness.Clock.Advance(TimeSpan.FromSeconds(45));         // the child ends at 2:30
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(RunOutcome.Succeeded, result.Outcome);
        Assert.Equal(25 + 25, result.SpentCents); // 2.5 minutes at 10/min, not the 30 of three slices
        Assert.Equal(50, Assert.Single(result.Attempts).CostCents);
        var budget = await ledger.SnapshotAsync(CancellationToken.None);
        Assert.Equal((50, 0), (budget.SpentCents, budget.ReservedCents));
    }

    [Theory]
    [InlineData(40, 1)]  // 25 + 10 fits, the second slice does not
    [InlineData(50, 2)]  // the third does not
    public async Task MeteredRun_WhoseNextSliceDoesNotFit_IsStoppedWithinWhatWasPaid_AndEnds75(long budget, int paidSlices)
    {
        var ledger = new InMemoryBudgetLedger(budget);
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { KillGrace = TimeSpan.FromSeconds(20) },
            ledger, new MeteredCost(25, 10, Slice),
            ChildScript.RunsUntilStopped());

        var run = harness.Supervisor.RunAsync();
        await harness.WaitForStartsAsync(1);
        // The grace (20s) is longer than the quarter-slice lead (15s): each top-up is tried 20s before the paid time ends.
        for (var slice = 1; slice <= paidSlices; slice++)
        {
            await harness.PassTimerAsync(slice == 1 ? TimeSpan.FromSeconds(40) : Slice); // the last one is refused
        }
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(RunOutcome.BudgetExhausted, result.Outcome);
        Assert.Equal(ExitCodes.BudgetExhausted, result.ExitCode);
        Assert.Contains("the meter stopped attempt 1", result.Message, StringComparison.Ordinal);
        var attempt = Assert.Single(result.Attempts);
        Assert.True(attempt.Duration <= paidSlices * Slice, $"the attempt ran {attempt.Duration}, past the {paidSlices} paid minutes");
        Assert.Equal(AttemptKind.Killed, attempt.Kind);
        var snapshot = await ledger.SnapshotAsync(CancellationToken.None);
        Assert.True(snapshot.SpentCents <= budget, "never more than the budget");
        Assert.Equal(0, snapshot.ReservedCents);
    }

    [Fact]
    public async Task Meter_WhileAMeteredAttemptRuns_ReadsItsCostSoFar_WhatItHolds_AndTheNextSlice()
    {
        var ledger = new InMemoryBudgetLedger(1000);
        // 5 cents an attempt, a cent a second, one-minute slices of 60 cents; the next slice is due a quarter before the paid minute ends.
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { KillGrace = TimeSpan.FromSeconds(10) },
            ledger, new MeteredCost(5, 60, Slice),
            ChildScript.ExitsAfter(TimeSpan.FromSeconds(150), 0));
        var start = harness.Clock.GetUtcNow();

        var run = harness.Supervisor.RunAsync();
        await harness.WaitForStartsAsync(1);
        var meter = Assert.Single(harness.Observer.Meters)!;
        var first = meter.Read();
        harness.Clock.Advance(TimeSpan.FromSeconds(30));
        var later = meter.Read();
        harness.Clock.Advance(TimeSpan.FromSeconds(15));          // 0:45: the second slice (its timer was armed at 0:00)
        await Eventually.HoldsAsync(() => meter.Read().ReservedCents == 125, "the second slice reserved");
        var second = meter.Read();
        await harness.PassTimerAsync(Slice);                      // 1:45: the third
        harness.Clock.Advance(TimeSpan.FromSeconds(45));          // the child ends at 2:30
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(new MeterReading(1, "wall", 1m, 5, 65, start + Slice, start + TimeSpan.FromSeconds(45)), first);
        Assert.Equal(35, later.CostSoFarCents);
        Assert.Equal(new MeterReading(1, "wall", 1m, 50, 125, start + (2 * Slice), start + TimeSpan.FromSeconds(105)), second);
        Assert.Equal(RunOutcome.Succeeded, result.Outcome);
        Assert.Equal(155, result.SpentCents);
        Assert.Null(harness.Observer.Meters.Last()); // the attempt ended: no meter
        Assert.Equal(2, harness.Observer.Meters.Count);
    }

    [Fact]
    public async Task Meter_IsNotGiven_ForACostThatIsNotMetered()
    {
        using var harness = new SupervisorHarness(SupervisorHarness.Defaults() with { CostPerAttemptCents = 5 }, ChildScript.Exits(0));

        await harness.RunWithoutTimePassingAsync();

        Assert.Empty(harness.Observer.Meters);
    }
}
