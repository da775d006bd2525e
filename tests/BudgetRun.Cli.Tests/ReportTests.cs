using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>The <c>--report PATH</c> JSON: its fields, and that it is written whole and atomically.</summary>
public sealed class ReportTests : CliTest
{
    [Fact]
    public async Task Report_HoldsTheRunAndEveryAttempt()
    {
        var report = Scratch.Path("report.json");
        var before = DateTimeOffset.UtcNow;
        var result = await RunAsync(["--max-attempts", "3", "--max-cost-cents", "100", "--cost-per-attempt-cents", "10",
            "--base-delay", "200ms", "--report", report, "--", .. Child("fail-until", "2", Scratch.Path("attempts"))]);
        var after = DateTimeOffset.UtcNow;

        result.AssertExitCode(0);
        var loaded = RunReport.Load(report);
        Assert.Equal("succeeded", loaded.Outcome);
        Assert.Equal(0, loaded.ExitCode);
        Assert.Equal(20, loaded.CostCents);
        Assert.Equal(100, loaded.BudgetCents);
        Assert.NotEmpty(loaded.Text(loaded.Root, "message"));
        var startedAt = loaded.Time(loaded.Root, "startedAt");
        var finishedAt = loaded.Time(loaded.Root, "finishedAt");
        Assert.InRange(startedAt, before.AddSeconds(-1), finishedAt);
        Assert.InRange(finishedAt, startedAt, after.AddSeconds(1));

        Assert.Equal(2, loaded.Attempts.Count);
        var (first, second) = (loaded.Attempts[0], loaded.Attempts[1]);
        Assert.Equal(1, loaded.Number(first, "number"));
        Assert.Equal(2, loaded.Number(second, "number"));
        Assert.Equal("failure", loaded.Text(first, "outcome"));
        Assert.Equal("success", loaded.Text(second, "outcome"));
        Assert.Equal(1, loaded.Number(first, "exitCode"));
        Assert.Equal(0, loaded.Number(second, "exitCode"));
        Assert.False(loaded.Has(first, "signal"), $"an attempt that exited has a signal\n{loaded.Json}");
        Assert.Equal(10, loaded.Number(first, "costCents"));
        Assert.Equal(10, loaded.Number(second, "costCents"));
        Assert.Equal(0, loaded.Real(first, "delayBeforeMs"));
        Assert.InRange(loaded.Real(second, "delayBeforeMs"), 199, 201);
        Assert.InRange(loaded.Real(first, "durationMs"), 0, 10_000);
        var firstStarted = loaded.Time(first, "startedAt");
        var secondStarted = loaded.Time(second, "startedAt");
        Assert.True(secondStarted - firstStarted >= TimeSpan.FromMilliseconds(200),
            $"the second attempt started {(secondStarted - firstStarted).TotalMilliseconds}ms after the first, within the 200ms backoff\n{loaded.Json}");
    }

    [Fact]
    public async Task Report_IsWrittenWithoutLeavingATempFileBehind()
    {
        var directory = Directory.CreateDirectory(Scratch.Path("reports")).FullName;
        var report = Path.Combine(directory, "run.json");

        var result = await RunAsync(["--max-attempts", "2", "--base-delay", "10ms", "--report", report, "--", .. Child("exit", "3")]);

        result.AssertExitCode(3);
        Assert.Equal(["run.json"], Directory.GetFileSystemEntries(directory).Select(Path.GetFileName));
        Assert.Equal("attemptsExhausted", RunReport.Load(report).Outcome);
    }

    [Fact]
    public async Task Report_ReplacesAnOldReport()
    {
        var report = Scratch.Path("report.json");
        File.WriteAllText(report, "{ \"old\": true, \"padding\": \"" + new string('x', 10_000) + "\" }");

        var result = await RunAsync(["--max-attempts", "1", "--report", report, "--", .. Child("exit", "0")]);

        result.AssertExitCode(0);
        var loaded = RunReport.Load(report);
        Assert.Equal("succeeded", loaded.Outcome);
        Assert.False(loaded.Has(loaded.Root, "old"));
    }
}
