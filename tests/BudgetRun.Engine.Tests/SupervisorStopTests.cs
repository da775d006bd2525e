using BudgetRun.Engine.Processes;
using BudgetRun.Engine.Tests.Fakes;

namespace BudgetRun.Engine.Tests;

/// <summary>Stops from outside (signals to budget-run, the kill switch) and signals the child died of.</summary>
public sealed class SupervisorStopTests
{
    [Theory]
    [InlineData(StopReason.Terminate, 143, RunOutcome.Interrupted)]
    [InlineData(StopReason.Interrupt, 130, RunOutcome.Interrupted)]
    [InlineData(StopReason.KillSwitch, 77, RunOutcome.Killed)]
    public async Task Run_WhenStoppedDuringABackoffWait_EndsAtOnceWithTheReasonsCode(StopReason reason, int code, RunOutcome outcome)
    {
        using var harness = new SupervisorHarness(SupervisorHarness.Defaults(), ChildScript.Exits(1));

        var run = harness.Supervisor.RunAsync();
        await harness.WaitForTimerAsync(TimeSpan.FromSeconds(1));
        var before = harness.Clock.GetUtcNow();
        harness.Control.RequestStop(reason);
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(before, harness.Clock.GetUtcNow());
        Assert.Equal(1, harness.Launcher.Starts);
        Assert.Equal(outcome, result.Outcome);
        Assert.Equal(code, result.ExitCode);
    }

    [Theory]
    [InlineData(StopReason.Terminate, Signals.SIGTERM, 143, RunOutcome.Interrupted)]
    [InlineData(StopReason.Interrupt, Signals.SIGINT, 130, RunOutcome.Interrupted)]
    [InlineData(StopReason.KillSwitch, Signals.SIGTERM, 77, RunOutcome.Killed)]
    public async Task Run_WhenStoppedDuringAnAttempt_StopsTheChildAndStartsNoOther(StopReason reason, int signal, int code, RunOutcome outcome)
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { KillGrace = TimeSpan.FromSeconds(4) },
            ChildScript.RunsUntilStopped());

        var run = harness.Supervisor.RunAsync();
        var child = await harness.WaitForChildAsync(1);
        harness.Control.RequestStop(reason, "test");
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal([(signal, TimeSpan.FromSeconds(4))], child.StopRequests);
        Assert.Equal(1, harness.Launcher.Starts);
        Assert.Equal(AttemptKind.Killed, Assert.Single(result.Attempts).Kind);
        Assert.Equal(outcome, result.Outcome);
        Assert.Equal(code, result.ExitCode);
        Assert.Equal("test", result.StopDetail);
    }

    [Fact]
    public async Task Run_WhenStoppedBeforeItBegins_StartsNothing()
    {
        using var harness = new SupervisorHarness(SupervisorHarness.Defaults(), ChildScript.Exits(0));
        harness.Control.RequestStop(StopReason.Terminate);

        var result = await harness.RunWithoutTimePassingAsync();

        Assert.Equal(0, harness.Launcher.Starts);
        Assert.Equal(ExitCodes.Terminated, result.ExitCode);
    }

    [Fact]
    public async Task Run_WhenTheChildDiesOfCtrlCAtTheTerminal_EndsInterrupted130WithoutRetry()
    {
        using var harness = new SupervisorHarness(SupervisorHarness.Defaults(), ChildScript.DiesOfCtrlC());

        var result = await harness.RunWithoutTimePassingAsync();

        Assert.Equal(1, harness.Launcher.Starts);
        Assert.Equal(RunOutcome.Interrupted, result.Outcome);
        Assert.Equal(ExitCodes.Interrupted, result.ExitCode);
        var attempt = Assert.Single(result.Attempts);
        Assert.Equal(AttemptKind.Signal, attempt.Kind);
        Assert.Equal(Signals.SIGINT, attempt.Signal);
    }

    [Fact]
    public async Task Run_WhenTheChildDiesOfSigintWithoutTheTerminal_RetriesLikeAnyOtherSignal()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 2 },
            ChildScript.DiesOf(Signals.SIGINT));

        var run = harness.Supervisor.RunAsync();
        await harness.PassTimerAsync(TimeSpan.FromSeconds(1));
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(2, harness.Launcher.Starts);
        Assert.Equal(RunOutcome.AttemptsExhausted, result.Outcome);
        Assert.Equal(130, result.ExitCode);
    }

    [Fact]
    public async Task Run_WhenTheChildDiesOfSigkill_RetriesAndExitsWith137()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 2 },
            ChildScript.DiesOf(Signals.SIGKILL));

        var run = harness.Supervisor.RunAsync();
        await harness.PassTimerAsync(TimeSpan.FromSeconds(1));
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(2, harness.Launcher.Starts);
        Assert.Equal(RunOutcome.AttemptsExhausted, result.Outcome);
        Assert.Equal(137, result.ExitCode);
        Assert.All(result.Attempts, attempt =>
        {
            Assert.Equal(AttemptKind.Signal, attempt.Kind);
            Assert.Equal(Signals.SIGKILL, attempt.Signal);
            Assert.Null(attempt.ExitCode);
        });
    }

    [Fact]
    public async Task Forward_WhileAnAttemptRuns_ReachesTheChildAndAfterwardsNothing()
    {
        using var harness = new SupervisorHarness(SupervisorHarness.Defaults(), ChildScript.RunsUntilStopped());

        var run = harness.Supervisor.RunAsync();
        var child = await harness.WaitForChildAsync(1);
        harness.Control.Forward(Signals.SIGUSR1);
        child.ExitNow(ChildExit.Exited(0));
        var result = await SupervisorHarness.FinishAsync(run);
        harness.Control.Forward(Signals.SIGUSR2);

        Assert.Equal([Signals.SIGUSR1], child.Forwarded);
        Assert.Equal(RunOutcome.Succeeded, result.Outcome);
    }
}
