using BudgetRun.Engine.Tests.Fakes;

namespace BudgetRun.Engine.Tests;

/// <summary>--attempt-timeout (a failed attempt with code 124) and --deadline (the run ends timedOut, 124).</summary>
public sealed class SupervisorTimeoutTests
{
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Run_WhenAnAttemptTimesOut_StopsTheChildAndRetriesItAsCode124()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { AttemptTimeout = AttemptTimeout, KillGrace = TimeSpan.FromSeconds(3) },
            ChildScript.RunsUntilStopped(),
            ChildScript.Exits(0));

        var run = harness.Supervisor.RunAsync();
        await harness.WaitForStartsAsync(1);
        await harness.PassTimerAsync(AttemptTimeout);
        await harness.PassTimerAsync(TimeSpan.FromSeconds(1));
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal([(Signals.SIGTERM, TimeSpan.FromSeconds(3))], harness.Child(1).StopRequests);
        Assert.Equal([TimeSpan.FromSeconds(3)], harness.Child(1).Sweeps);
        var timedOut = result.Attempts[0];
        Assert.Equal(AttemptKind.Timeout, timedOut.Kind);
        Assert.Equal(ExitCodes.TimedOut, timedOut.Code);
        Assert.Equal(AttemptTimeout, timedOut.Duration);
        Assert.Equal(2, result.Attempts.Count);
        Assert.Equal(RunOutcome.Succeeded, result.Outcome);
        Assert.Equal(ExitCodes.Success, result.ExitCode);
    }

    [Fact]
    public async Task Run_WhenEveryAttemptTimesOut_ExitsWithTheLastAttempts124()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 2, AttemptTimeout = AttemptTimeout },
            ChildScript.RunsUntilStopped());

        var run = harness.Supervisor.RunAsync();
        await harness.PassTimerAsync(AttemptTimeout);
        await harness.PassTimerAsync(TimeSpan.FromSeconds(1));
        await harness.WaitForStartsAsync(2);
        await harness.PassTimerAsync(AttemptTimeout);
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(RunOutcome.AttemptsExhausted, result.Outcome);
        Assert.Equal(ExitCodes.TimedOut, result.ExitCode);
        Assert.All(result.Attempts, attempt => Assert.Equal(AttemptKind.Timeout, attempt.Kind));
    }

    [Theory]
    [InlineData(null, "124")]
    [InlineData("1,75", null)]
    public async Task Run_WhenTheRetryListsExclude124_ATimedOutAttemptEndsTheRun(string? retryOn, string? noRetryOn)
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with
            {
                AttemptTimeout = AttemptTimeout,
                RetryOn = Codes(retryOn),
                NoRetryOn = Codes(noRetryOn) ?? new HashSet<int>(),
            },
            ChildScript.RunsUntilStopped());

        var run = harness.Supervisor.RunAsync();
        await harness.PassTimerAsync(AttemptTimeout);
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(1, harness.Launcher.Starts);
        Assert.Equal(RunOutcome.NotRetryable, result.Outcome);
        Assert.Equal(ExitCodes.TimedOut, result.ExitCode);
    }

    [Fact]
    public async Task Run_WhenRetryOnNames124_ATimedOutAttemptIsRetried()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { AttemptTimeout = AttemptTimeout, RetryOn = new HashSet<int> { 124 } },
            ChildScript.RunsUntilStopped(),
            ChildScript.Exits(0));

        var run = harness.Supervisor.RunAsync();
        await harness.PassTimerAsync(AttemptTimeout);
        await harness.PassTimerAsync(TimeSpan.FromSeconds(1));
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(2, harness.Launcher.Starts);
        Assert.Equal(RunOutcome.Succeeded, result.Outcome);
    }

    [Fact]
    public async Task Run_WhenTheChildIgnoresSigtermAfterATimeout_KillsItAfterTheGraceAndSweepsWithoutGrace()
    {
        var grace = TimeSpan.FromSeconds(3);
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 1, AttemptTimeout = AttemptTimeout, KillGrace = grace },
            ChildScript.IgnoresSigterm());

        var run = harness.Supervisor.RunAsync();
        await harness.PassTimerAsync(AttemptTimeout);
        await harness.WaitForTimerAsync(grace);
        harness.Clock.Advance(grace - TimeSpan.FromMilliseconds(1));
        await Eventually.SettleAsync();
        Assert.False(run.IsCompleted);
        harness.Clock.Advance(TimeSpan.FromMilliseconds(1));
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal([TimeSpan.Zero], harness.Child(1).Sweeps);
        var attempt = Assert.Single(result.Attempts);
        Assert.Equal(AttemptKind.Timeout, attempt.Kind);
        Assert.Equal(Signals.SIGKILL, attempt.Signal);
        Assert.Equal(ExitCodes.TimedOut, result.ExitCode);
    }

    [Fact]
    public async Task Run_WhenTheDeadlinePassesDuringAnAttempt_StopsTheChildAndEndsTimedOut124()
    {
        var deadline = TimeSpan.FromSeconds(30);
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { Deadline = deadline },
            ChildScript.RunsUntilStopped());

        var run = harness.Supervisor.RunAsync();
        await harness.WaitForStartsAsync(1);
        await Eventually.HoldsAsync(() => harness.Clock.HasTimerCreatedNow(deadline), "the deadline is armed");
        harness.Clock.Advance(deadline);
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal([(Signals.SIGTERM, harness.Options.KillGrace)], harness.Child(1).StopRequests);
        Assert.Equal(1, harness.Launcher.Starts);
        Assert.Equal(AttemptKind.Killed, Assert.Single(result.Attempts).Kind);
        Assert.Equal(RunOutcome.TimedOut, result.Outcome);
        Assert.Equal(ExitCodes.TimedOut, result.ExitCode);
    }

    [Fact]
    public async Task Run_WhenTheNextDelayWouldPassTheDeadline_EndsAtOnceTimedOut124()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { Deadline = TimeSpan.FromSeconds(5), BaseDelay = TimeSpan.FromSeconds(10) },
            ChildScript.Exits(1));

        var result = await harness.RunWithoutTimePassingAsync();

        Assert.Equal(1, harness.Launcher.Starts);
        Assert.Empty(harness.Observer.Backoffs);
        Assert.Equal(RunOutcome.TimedOut, result.Outcome);
        Assert.Equal(ExitCodes.TimedOut, result.ExitCode);
    }

    [Fact]
    public async Task Run_WhenTheDeadlineFallsInsideABackoffWait_EndsTimedOutWithoutWaitingForIt()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 5, Deadline = TimeSpan.FromSeconds(2.5) },
            ChildScript.Exits(1));

        var run = harness.Supervisor.RunAsync();
        await harness.PassTimerAsync(TimeSpan.FromSeconds(1)); // attempt 2 fails at 1s; its 2s wait would end at 3s
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(2, harness.Launcher.Starts);
        Assert.Equal(TimeSpan.FromSeconds(1), result.FinishedAt - result.StartedAt);
        Assert.Equal(RunOutcome.TimedOut, result.Outcome);
        Assert.Equal(ExitCodes.TimedOut, result.ExitCode);
    }

    private static HashSet<int>? Codes(string? list) =>
        list is null ? null : [.. list.Split(',').Select(code => int.Parse(code, System.Globalization.CultureInfo.InvariantCulture))];
}
