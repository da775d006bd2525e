using System.Text.Json;
using BudgetRun.Resilience.Tests.Infrastructure;

namespace BudgetRun.Resilience.Tests.Faults;

/// <summary>
/// Fault: the child dies hard (SIGKILL from outside or of itself, a segfault, an OOM-killer style
/// exit 137). Promise: each is a failed attempt recorded with the right signal or code, retried per
/// the policy, and the run ends with 128+N (or the code) like a shell would.
/// </summary>
public sealed class ChildDeathTests : ResilienceTest
{
    [Theory]
    [InlineData("KILL", 9)]
    [InlineData("SEGV", 11)]
    [InlineData("ABRT", 6)]
    public async Task ChildDyingOfASignal_IsAFailedAttemptWithThatSignal_RetriedToTheCap_Exits128PlusN(string signal, int number)
    {
        var report = Scratch.Path("report.json");

        var result = await RunToEndAsync(["--max-attempts", "3", "--base-delay", "10ms", "--report", report,
            "--", .. Child("--count", Scratch.Path("attempts"), "kill-self", signal)]);

        result.AssertExitCode(128 + number).AssertNoStackTrace();
        Assert.Equal(3, Scratch.Count("attempts"));
        var loaded = RunReport.Load(report);
        Assert.Equal(("attemptsExhausted", 128 + number), (loaded.Outcome, loaded.ExitCode));
        Assert.All(loaded.Attempts, attempt => AssertSignalled(loaded, attempt, number));
        Assert.Contains($"(exit {128 + number})", result.StderrLines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChildSigkilledFromOutside_EveryAttempt_IsRetried_AndExits137()
    {
        var report = Scratch.Path("report.json");
        var pidFile = Scratch.Path("child.pid");
        using var run = Launch(["--max-attempts", "3", "--base-delay", "10ms", "--report", report,
            "--", .. Child("--pid-file", pidFile, "sleep", "600000")]);

        var killed = new List<int>();
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            await Wait.UntilAsync(() => File.Exists(pidFile) && !killed.Contains(ReadPid(pidFile)), TimeSpan.FromSeconds(15),
                $"attempt {attempt} wrote its pid", run);
            var pid = ReadPid(pidFile);
            killed.Add(pid);
            Assert.True(Posix.Kill(pid, Posix.SIGKILL), $"attempt {attempt}'s child {pid} is already gone");
        }
        var result = await run.WaitAsync();

        result.AssertExitCode(137).AssertNoStackTrace();
        var loaded = RunReport.Load(report);
        Assert.Equal(3, loaded.Attempts.Count);
        Assert.All(loaded.Attempts, attempt => AssertSignalled(loaded, attempt, 9));
    }

    [Fact]
    public async Task ChildExiting137_OomKillerStyle_IsAFailedAttemptWithCode137_NotASignal()
    {
        var report = Scratch.Path("report.json");

        var result = await RunToEndAsync(["--max-attempts", "2", "--base-delay", "10ms", "--report", report,
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "137")]);

        result.AssertExitCode(137);
        Assert.Equal(2, Scratch.Count("attempts"));
        var loaded = RunReport.Load(report);
        Assert.All(loaded.Attempts, attempt =>
        {
            Assert.Equal("failure", loaded.Text(attempt, "outcome"));
            Assert.Equal(137, loaded.Number(attempt, "exitCode"));
            Assert.False(loaded.Has(attempt, "signal"), $"an exit with code 137 is not a signal: {attempt}");
        });
    }

    [Fact]
    public async Task SignalDeaths_FollowTheRetryPolicy_ByTheir128PlusNCode()
    {
        // --retry-on 137 retries SIGKILL deaths; --no-retry-on 139 ends the run at the first segfault.
        var retried = await RunToEndAsync(["--max-attempts", "3", "--base-delay", "10ms", "--retry-on", "137",
            "--", .. Child("--count", Scratch.Path("killed"), "kill-self", "KILL")]);
        var stopped = await RunToEndAsync(["--max-attempts", "3", "--base-delay", "10ms", "--no-retry-on", "139",
            "--", .. Child("--count", Scratch.Path("segfaulted"), "kill-self", "SEGV")]);
        var notListed = await RunToEndAsync(["--max-attempts", "3", "--base-delay", "10ms", "--retry-on", "1",
            "--", .. Child("--count", Scratch.Path("aborted"), "kill-self", "ABRT")]);

        retried.AssertExitCode(137);
        Assert.Equal(3, Scratch.Count("killed"));
        stopped.AssertExitCode(139);
        Assert.Equal(1, Scratch.Count("segfaulted"));
        Assert.Contains("notRetryable (exit 139)", stopped.StderrLines[^1], StringComparison.Ordinal);
        notListed.AssertExitCode(134);
        Assert.Equal(1, Scratch.Count("aborted"));
    }

    private static void AssertSignalled(RunReport report, JsonElement attempt, int signal)
    {
        Assert.Equal("signal", report.Text(attempt, "outcome"));
        Assert.Equal(signal, report.Number(attempt, "signal"));
        Assert.False(report.Has(attempt, "exitCode"), $"a signalled attempt has no exit code: {attempt}");
    }

    private static int ReadPid(string pidFile) =>
        int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
}
