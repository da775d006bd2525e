using BudgetRun.Engine.Processes;
using BudgetRun.Engine.Tests.Fakes;

namespace BudgetRun.Engine.Tests;

/// <summary>
/// A ledger that stops answering while an attempt runs: the attempt that ran is still charged
/// (the ledger keeps the settle and the supervisor finishes it), and the outage changes the run's
/// result only where a reservation is needed (exit 69, fail closed).
/// </summary>
public sealed class SupervisorLedgerOutageTests
{
    [Fact]
    public async Task SettleFails_BackBeforeTheNextAttempt_TheRunGoesOnAndBothAttemptsAreCharged()
    {
        var ledger = new UnreachableLedger(100) { Fails = operation => operation == "settle" };
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 2, CostPerAttemptCents = 7 }, ledger,
            ChildScript.Exits(1), ChildScript.Exits(0));

        var run = harness.Supervisor.RunAsync();
        await harness.WaitForTimerAsync(TimeSpan.FromSeconds(1));
        ledger.Fails = _ => false; // back during the backoff
        harness.Clock.Advance(TimeSpan.FromSeconds(1));
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal((RunOutcome.Succeeded, 2), (result.Outcome, harness.Launcher.Starts));
        Assert.Equal(1, ledger.FinishCalls);
        var budget = await ledger.SnapshotAsync(CancellationToken.None);
        Assert.Equal((14L, 0L), (budget.SpentCents, budget.ReservedCents));
    }

    [Fact]
    public async Task SettleFails_AndTheLedgerStaysDown_TheLastAttemptsResultStands_AndItsReservationStaysHeld()
    {
        var ledger = new UnreachableLedger(100) { Fails = operation => operation is "settle" or "finish" };
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { CostPerAttemptCents = 7 }, ledger, ChildScript.Exits(0));

        var result = await harness.RunWithoutTimePassingAsync();

        Assert.Equal((RunOutcome.Succeeded, ExitCodes.Success), (result.Outcome, result.ExitCode));
        Assert.Equal(7, result.SpentCents);
        Assert.Equal(1, ledger.FinishCalls);
        var budget = await ledger.SnapshotAsync(CancellationToken.None);
        Assert.Equal((0L, 7L), (budget.SpentCents, budget.ReservedCents)); // never less than what ran
    }

    [Fact]
    public async Task ReleaseAfterAStartFailureFails_TheRunStillEndsWithTheStartFailure()
    {
        var ledger = new UnreachableLedger(100) { Fails = operation => operation == "release" };
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { CostPerAttemptCents = 7 }, ledger, ChildScript.FailsToStart(StartFailure.NotFound));

        var result = await harness.RunWithoutTimePassingAsync();

        Assert.Equal((RunOutcome.StartFailed, 127), (result.Outcome, result.ExitCode));
        Assert.Equal(0, result.SpentCents);
        var budget = await ledger.SnapshotAsync(CancellationToken.None);
        Assert.Equal((0L, 0L), (budget.SpentCents, budget.ReservedCents)); // released at the end of the run
    }

    [Fact]
    public async Task ReservationFails_StartsNothingMore_AndEnds69()
    {
        var ledger = new UnreachableLedger(100);
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 3, CostPerAttemptCents = 7 }, ledger, ChildScript.Exits(1));

        var run = harness.Supervisor.RunAsync();
        await harness.WaitForTimerAsync(TimeSpan.FromSeconds(1));
        ledger.Fails = operation => operation is "reserve" or "fits";
        harness.Clock.Advance(TimeSpan.FromSeconds(1));
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal((RunOutcome.LedgerUnavailable, ExitCodes.LedgerUnavailable, 1), (result.Outcome, result.ExitCode, harness.Launcher.Starts));
        Assert.Equal("ledger test:// is unavailable: the test made it so", result.Message);
    }
}
