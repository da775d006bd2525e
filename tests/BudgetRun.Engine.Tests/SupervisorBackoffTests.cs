using BudgetRun.Engine.Retry;
using BudgetRun.Engine.Tests.Fakes;

namespace BudgetRun.Engine.Tests;

/// <summary>When attempts start: the backoff between them, none after the last, --reset-after.</summary>
public sealed class SupervisorBackoffTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    [Fact]
    public async Task Run_WhenEveryAttemptFails_StartsEachAfterExactlyTheBackoffDelay()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 6, BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(10) },
            ChildScript.Exits(1));
        TimeSpan[] expected = [.. new[] { 1, 2, 4, 8, 10 }.Select(s => TimeSpan.FromSeconds(s))];

        var run = harness.Supervisor.RunAsync();
        for (var i = 0; i < expected.Length; i++)
        {
            await harness.WaitForStartsAsync(i + 1);
            await harness.WaitForTimerAsync(expected[i]);

            harness.Clock.Advance(expected[i] - Tick);
            await Eventually.SettleAsync();
            Assert.Equal(i + 1, harness.Launcher.Starts);

            harness.Clock.Advance(Tick);
            await harness.WaitForStartsAsync(i + 2);
        }
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(6, harness.Launcher.Starts);
        var starts = harness.Launcher.StartTimes;
        Assert.Equal(expected, starts.Zip(starts.Skip(1), (before, after) => after - before));
        Assert.Equal([TimeSpan.Zero, .. expected], result.Attempts.Select(attempt => attempt.DelayBefore));
        Assert.Equal(expected, harness.Observer.Backoffs);
        Assert.Equal(RunOutcome.AttemptsExhausted, result.Outcome);
    }

    [Fact]
    public async Task Run_WhenTheChildAsksForALongerWait_WaitsThatLongOnce_ThenTheScheduleGoesOn()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 3, BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(10) },
            ChildScript.Exits(1));
        harness.Control.AskRetry(new ChildRetryRequest(TimeSpan.FromSeconds(45))); // read by the decision after attempt 1

        var run = harness.Supervisor.RunAsync();
        await harness.WaitForStartsAsync(1);
        await harness.PassTimerAsync(TimeSpan.FromSeconds(45));
        await harness.WaitForStartsAsync(2);
        await harness.PassTimerAsync(TimeSpan.FromSeconds(2)); // the schedule's second delay: the child's wait did not reset it
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(3, result.AttemptCount);
        Assert.Equal([TimeSpan.Zero, TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(2)], result.Attempts.Select(attempt => attempt.DelayBefore));
    }

    [Fact]
    public async Task Run_WhenTheChildAsksForNoRetry_EndsAfterItsAttemptAsNotRetryable()
    {
        using var harness = new SupervisorHarness(SupervisorHarness.Defaults() with { MaxAttempts = 3 }, ChildScript.Exits(1));
        harness.Control.AskRetry(new ChildRetryRequest(null, Retry: false, Reason: "HTTP 400: the request is malformed"));

        var result = await harness.RunWithoutTimePassingAsync();

        Assert.Equal((RunOutcome.NotRetryable, 1, 1), (result.Outcome, result.ExitCode, result.AttemptCount));
        Assert.Equal("the child asked not to retry: HTTP 400: the request is malformed", result.Message);
    }

    [Fact]
    public async Task Run_AfterTheLastAttempt_FinishesWithoutWaiting()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 3 },
            ChildScript.Exits(4));

        var run = harness.Supervisor.RunAsync();
        await harness.PassTimerAsync(TimeSpan.FromSeconds(1));
        await harness.WaitForStartsAsync(2);
        await harness.PassTimerAsync(TimeSpan.FromSeconds(2));
        var before = harness.Clock.GetUtcNow();
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(before, harness.Clock.GetUtcNow());
        Assert.Equal(before, result.FinishedAt);
        Assert.Equal(3, harness.Launcher.Starts);
        Assert.Equal(RunOutcome.AttemptsExhausted, result.Outcome);
        Assert.Equal(4, result.ExitCode);
        Assert.Equal(2, harness.Observer.Backoffs.Count);
    }

    [Fact]
    public async Task Run_WithOneAttempt_NeverWaits()
    {
        using var harness = new SupervisorHarness(SupervisorHarness.Defaults() with { MaxAttempts = 1 }, ChildScript.Exits(9));

        var result = await harness.RunWithoutTimePassingAsync();

        Assert.Equal(RunOutcome.AttemptsExhausted, result.Outcome);
        Assert.Equal(9, result.ExitCode);
        Assert.Empty(harness.Observer.Backoffs);
    }

    [Fact]
    public async Task Run_WhenAFailedAttemptRanLongerThanResetAfter_StartsTheCountAndTheBackoffOver()
    {
        var healthy = TimeSpan.FromMinutes(1);
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 3, ResetAfter = healthy },
            ChildScript.Exits(1),
            ChildScript.Exits(1),
            ChildScript.ExitsAfter(healthy, 1),
            ChildScript.Exits(1));

        var run = harness.Supervisor.RunAsync();
        await harness.PassTimerAsync(TimeSpan.FromSeconds(1));
        await harness.PassTimerAsync(TimeSpan.FromSeconds(2));
        await harness.WaitForStartsAsync(3);
        harness.Clock.Advance(healthy); // the third attempt runs a healthy minute, then fails
        foreach (var delay in new[] { 1, 2, 4 }.Select(s => TimeSpan.FromSeconds(s)))
        {
            await harness.PassTimerAsync(delay);
        }
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(6, result.Attempts.Count);
        Assert.Equal(
            new[] { 0, 1, 2, 1, 2, 4 }.Select(s => TimeSpan.FromSeconds(s)),
            result.Attempts.Select(attempt => attempt.DelayBefore));
        Assert.Equal(RunOutcome.AttemptsExhausted, result.Outcome);
        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public async Task Run_WhenAFailedAttemptWasShorterThanResetAfter_KeepsCounting()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 2, ResetAfter = TimeSpan.FromMinutes(1) },
            ChildScript.ExitsAfter(TimeSpan.FromMinutes(1) - Tick, 1));

        var run = harness.Supervisor.RunAsync();
        await harness.WaitForStartsAsync(1);
        harness.Clock.Advance(TimeSpan.FromMinutes(1) - Tick);
        await harness.PassTimerAsync(TimeSpan.FromSeconds(1));
        await harness.WaitForStartsAsync(2);
        harness.Clock.Advance(TimeSpan.FromMinutes(1) - Tick);
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(2, result.Attempts.Count);
        Assert.Equal(RunOutcome.AttemptsExhausted, result.Outcome);
    }
}
