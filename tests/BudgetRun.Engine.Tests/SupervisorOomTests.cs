using BudgetRun.Engine.Tests.Fakes;

namespace BudgetRun.Engine.Tests;

/// <summary>
/// An attempt the OOM killer ended: SIGKILL while its cgroup's <c>memory.events</c> counted an
/// <c>oom_kill</c>. Its outcome is <c>oom</c>, its code still 137, and the word <c>oom</c> in
/// <c>--retry-on</c>/<c>--no-retry-on</c> decides it apart from any other SIGKILL. The cgroup's
/// counters come from the fake child here: this host's cgroup v2 has no memory controller.
/// </summary>
public sealed class SupervisorOomTests
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task SigkillWithAnOomKillInTheCgroup_IsOom_Code137_RetriedByDefault()
    {
        using var harness = new SupervisorHarness(SupervisorHarness.Defaults() with { MaxAttempts = 2 },
            ChildScript.KilledInACgroup(oomKills: 1), ChildScript.Exits(0));

        var run = harness.Supervisor.RunAsync();
        await harness.PassTimerAsync(FirstBackoff);
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(RunOutcome.Succeeded, result.Outcome);
        var oom = result.Attempts[0];
        Assert.Equal(AttemptKind.Oom, oom.Kind);
        Assert.Equal(137, oom.Code);
        Assert.Equal(9, oom.Signal);
        Assert.Equal(1, oom.Usage!.OomKills);
    }

    [Fact]
    public async Task SigkillWithoutAnOomKill_IsAPlainSignalDeath()
    {
        using var harness = new SupervisorHarness(SupervisorHarness.Defaults() with { MaxAttempts = 1 }, ChildScript.KilledInACgroup(oomKills: 0));

        var result = await harness.RunWithoutTimePassingAsync();

        Assert.Equal(AttemptKind.Signal, Assert.Single(result.Attempts).Kind);
        Assert.Equal(137, result.ExitCode);
    }

    [Fact]
    public async Task AChildThatExitsAfterAProcessOfItsWasOomKilled_IsAFailureOfItsOwnCode()
    {
        using var harness = new SupervisorHarness(SupervisorHarness.Defaults() with { MaxAttempts = 1 }, ChildScript.ExitsAfterAnOomKillInItsCgroup(3));

        var result = await harness.RunWithoutTimePassingAsync();

        Assert.Equal(AttemptKind.Failure, Assert.Single(result.Attempts).Kind);
        Assert.Equal(3, result.ExitCode);
    }

    [Fact]
    public async Task NoRetryOnOom_EndsTheRunAtTheOom_Exit137()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 3, NoRetryOn = new HashSet<int> { ExitCodes.Oom } },
            ChildScript.KilledInACgroup(oomKills: 2));

        var result = await harness.RunWithoutTimePassingAsync();

        Assert.Equal(RunOutcome.NotRetryable, result.Outcome);
        Assert.Equal(137, result.ExitCode);
        Assert.Equal(AttemptKind.Oom, Assert.Single(result.Attempts).Kind);
    }

    [Fact]
    public async Task NoRetryOnOom_StillRetriesAPlainSigkill()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 2, NoRetryOn = new HashSet<int> { ExitCodes.Oom } },
            ChildScript.KilledInACgroup(oomKills: 0), ChildScript.Exits(0));

        var run = harness.Supervisor.RunAsync();
        await harness.PassTimerAsync(FirstBackoff);
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(RunOutcome.Succeeded, result.Outcome);
        Assert.Equal([AttemptKind.Signal, AttemptKind.Success], result.Attempts.Select(attempt => attempt.Kind));
    }

    [Fact]
    public async Task RetryOnOom_RetriesTheOom_ButNotAPlainSigkillThatTheListDoesNotName()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 3, RetryOn = new HashSet<int> { 75, ExitCodes.Oom } },
            ChildScript.KilledInACgroup(oomKills: 1), ChildScript.KilledInACgroup(oomKills: 0));

        var run = harness.Supervisor.RunAsync();
        await harness.PassTimerAsync(FirstBackoff);
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(RunOutcome.NotRetryable, result.Outcome);
        Assert.Equal([AttemptKind.Oom, AttemptKind.Signal], result.Attempts.Select(attempt => attempt.Kind));
        Assert.Equal(137, result.ExitCode);
    }

    [Fact]
    public async Task NoRetryOn137_AlsoStopsAnOom_ItsCodeIs137()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 3, NoRetryOn = new HashSet<int> { 137 } },
            ChildScript.KilledInACgroup(oomKills: 1));

        var result = await harness.RunWithoutTimePassingAsync();

        Assert.Equal(RunOutcome.NotRetryable, result.Outcome);
        Assert.Equal(AttemptKind.Oom, Assert.Single(result.Attempts).Kind);
    }

    [Fact]
    public async Task RetryOnOomAndNoRetryOnOom_NoRetryWins()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 3, RetryOn = new HashSet<int> { ExitCodes.Oom }, NoRetryOn = new HashSet<int> { ExitCodes.Oom } },
            ChildScript.KilledInACgroup(oomKills: 1));

        var result = await harness.RunWithoutTimePassingAsync();

        Assert.Equal(RunOutcome.NotRetryable, result.Outcome);
    }
}
