using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// One test per defect of the seed script (incident-budget-runner.mjs); each fails on the seed's
/// behaviour, which is noted in the test.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class SeedDefectTests : CliTest
{
    [Fact]
    public async Task Overspend_BudgetOf50At30PerAttempt_RunsOneAttemptAndSpends30()
    {
        // The seed charged after the attempt and stopped only at >= budget: two attempts, 60 of 50 cents.
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--max-cost-cents", "50", "--cost-per-attempt-cents", "30", "--max-attempts", "5",
            "--base-delay", "10ms", "--report", report, "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);

        result.AssertExitCode(75);
        Assert.Equal(1, Scratch.Count("attempts"));
        var loaded = RunReport.Load(report);
        Assert.Equal(30, loaded.CostCents);
        Assert.True(loaded.CostCents <= loaded.BudgetCents, $"overspent: {loaded.CostCents} of {loaded.BudgetCents}");
    }

    [Fact]
    public async Task FinalSleep_LastAttemptFailing_ExitsWithoutWaitingTheBackoff()
    {
        // The seed slept min(1s * 2^(n-1), 10s) after every failed attempt, the last one included.
        var result = await RunAsync(["--max-attempts", "1", "--base-delay", "5s", "--", .. Child("exit", "1")]);

        result.AssertExitCode(1).AssertFasterThan(TimeSpan.FromSeconds(2.5));
    }

    [Fact]
    public async Task FinalSleep_TwoAttempts_SleepOnlyOnceBetweenThem()
    {
        // base 1.5s: one wait of 1.5s between the attempts; the seed waited again (3s) after the second.
        var result = await RunAsync(["--max-attempts", "2", "--base-delay", "1500ms", "--",
            .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);

        result.AssertExitCode(1).AssertFasterThan(TimeSpan.FromSeconds(3.8));
        Assert.Equal(2, Scratch.Count("attempts"));
        Assert.True(result.Elapsed >= TimeSpan.FromSeconds(1.4), $"the backoff between the attempts was not waited\n{result}");
    }

    [Fact]
    public async Task SleepBeforeAnAttemptThatCannotRun_BudgetStopExitsAtOnce()
    {
        var result = await RunAsync(["--max-attempts", "5", "--base-delay", "5s", "--max-cost-cents", "30",
            "--cost-per-attempt-cents", "30", "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);

        result.AssertExitCode(75).AssertFasterThan(TimeSpan.FromSeconds(2.5));
        Assert.Equal(1, Scratch.Count("attempts"));
    }

    [Fact]
    public async Task NaN_BadMaxAttemptsVariable_IsUsageErrorNamingIt()
    {
        // The seed turned MAX_ATTEMPTS=abc into NaN, ran no attempt and said "failed after NaN attempts" (exit 1).
        var result = await RunWithEnvironmentAsync(new Dictionary<string, string?> { ["MAX_ATTEMPTS"] = "abc" },
            ["--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        result.AssertExitCode(2);
        var line = result.AssertOneStderrLine();
        Assert.Contains("MAX_ATTEMPTS", line, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", line, StringComparison.Ordinal);
        Assert.False(File.Exists(Scratch.Path("started")));
    }

    [Fact]
    public async Task CrashOnMissingCommand_Exits127WithOneLine()
    {
        // The seed crashed on the spawn error event with a stack trace.
        var result = await RunAsync(["--", "budget-run-test-missing-command", "arg"]);

        result.AssertExitCode(127);
        Assert.Contains("budget-run-test-missing-command", result.AssertOneStderrLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OrphanedChild_SigtermToSupervisor_LeavesNoChildOrGrandchild()
    {
        // The seed died of SIGTERM and left its child (and the child's children) running.
        var childPid = Scratch.Path("child.pid");
        var grandchildPid = Scratch.Path("grandchild.pid");
        using var run = BudgetRunProcess.Start(["--kill-grace", "500ms", "--",
            .. Child("--pid-file", childPid, "spawn", "group", grandchildPid, "sleep:600000", "sleep", "600000")]);
        var child = await Wait.ForPidAsync(childPid, run);
        var grandchild = await Wait.ForPidAsync(grandchildPid, run);

        run.Signal(Posix.SIGTERM);
        var result = await run.WaitAsync();

        result.AssertExitCode(143);
        Assert.False(Posix.IsAlive(child), $"the child {child} outlived budget-run\n{result}");
        Assert.False(Posix.IsAlive(grandchild), $"the grandchild {grandchild} outlived budget-run\n{result}");
    }
}
