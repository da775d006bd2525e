using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>The waits between attempts, as the report records them, and <c>--reset-after</c>.</summary>
[Collection(SerialCollection.Name)]
public sealed class BackoffTests : CliTest
{
    [Fact]
    public async Task Backoff_DoublesFromBaseDelay_CappedByMaxDelay()
    {
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--max-attempts", "5", "--base-delay", "50ms", "--max-delay", "150ms", "--report", report,
            "--", .. Child("exit", "1")]);

        result.AssertExitCode(1);
        var loaded = RunReport.Load(report);
        Assert.Equal([0d, 50, 100, 150, 150], loaded.Attempts.Select(attempt => loaded.Real(attempt, "delayBeforeMs")));
        for (var i = 1; i < loaded.Attempts.Count; i++)
        {
            var gap = loaded.Time(loaded.Attempts[i], "startedAt") - loaded.Time(loaded.Attempts[i - 1], "startedAt");
            var waited = TimeSpan.FromMilliseconds(loaded.Real(loaded.Attempts[i], "delayBeforeMs"));
            Assert.True(gap >= waited, $"attempt {i + 1} started {gap.TotalMilliseconds}ms after attempt {i}, less than its {waited.TotalMilliseconds}ms wait\n{loaded.Json}");
        }
    }

    [Fact]
    public async Task Jitter_StaysWithinMaxDelay()
    {
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--max-attempts", "6", "--jitter", "--base-delay", "20ms", "--max-delay", "60ms", "--report", report,
            "--", .. Child("exit", "1")]);

        result.AssertExitCode(1);
        var loaded = RunReport.Load(report);
        Assert.Equal(6, loaded.Attempts.Count);
        Assert.All(loaded.Attempts.Skip(1), attempt => Assert.InRange(loaded.Real(attempt, "delayBeforeMs"), 0, 60));
    }

    [Fact]
    public async Task ResetAfter_HealthyAttempts_StartTheCountOver()
    {
        // Attempts 1-3 run 400ms (>= --reset-after) and fail; attempt 4 succeeds. Without the reset the cap of 2 would end the run.
        var counter = Scratch.Path("attempts");
        var result = await RunAsync(["--max-attempts", "2", "--reset-after", "300ms", "--base-delay", "10ms",
            "--", "sh", "-c", $"n=$(( $(cat '{counter}' 2>/dev/null || echo 0) + 1 )); echo $n > '{counter}'; [ $n -ge 4 ] && exit 0; sleep 0.4; exit 1"]);

        result.AssertExitCode(0);
        Assert.Equal(4, Scratch.Count("attempts"));
    }

    [Fact]
    public async Task ResetAfter_ShortFailures_AreStillCapped()
    {
        var result = await RunAsync(["--max-attempts", "2", "--reset-after", "5s", "--base-delay", "10ms",
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);

        result.AssertExitCode(1);
        Assert.Equal(2, Scratch.Count("attempts"));
    }

    [Fact]
    public async Task ResetAfter_SpendNeverResets()
    {
        var counter = Scratch.Path("attempts");
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--max-attempts", "2", "--reset-after", "300ms", "--base-delay", "10ms",
            "--max-cost-cents", "30", "--cost-per-attempt-cents", "10", "--report", report,
            "--", "sh", "-c", $"n=$(( $(cat '{counter}' 2>/dev/null || echo 0) + 1 )); echo $n > '{counter}'; sleep 0.4; exit 1"]);

        result.AssertExitCode(75);
        Assert.Equal(3, Scratch.Count("attempts"));
        Assert.Equal(30, RunReport.Load(report).CostCents);
    }
}
