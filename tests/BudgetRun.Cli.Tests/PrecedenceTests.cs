using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>Which reason ends the run (issue 10), read from the exit code and the report's outcome.</summary>
[Collection(SerialCollection.Name)]
public sealed class PrecedenceTests : CliTest
{
    [Fact]
    public async Task CapAndBudgetTogether_CapDecides()
    {
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--max-attempts", "2", "--max-cost-cents", "60", "--cost-per-attempt-cents", "30",
            "--base-delay", "10ms", "--report", report, "--", .. Child("exit-codes", Scratch.Path("attempts"), "5,6")]);

        result.AssertExitCode(6);
        Assert.Equal(2, Scratch.Count("attempts"));
        var loaded = RunReport.Load(report);
        Assert.Equal("attemptsExhausted", loaded.Outcome);
        Assert.Equal(6, loaded.ExitCode);
        Assert.Equal(60, loaded.CostCents);
    }

    [Fact]
    public async Task AttemptTimeout_IsAFailedAttemptWithCode124_AndIsRetried()
    {
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--attempt-timeout", "300ms", "--kill-grace", "300ms", "--max-attempts", "2",
            "--base-delay", "10ms", "--report", report, "--", .. Child("--count", Scratch.Path("attempts"), "sleep", "30000")]);

        result.AssertExitCode(124).AssertFasterThan(TimeSpan.FromSeconds(6));
        Assert.Equal(2, Scratch.Count("attempts"));
        var loaded = RunReport.Load(report);
        Assert.Equal("attemptsExhausted", loaded.Outcome);
        Assert.Equal(124, loaded.ExitCode);
        Assert.All(loaded.Attempts, attempt => Assert.Equal("timeout", loaded.Text(attempt, "outcome")));
    }

    [Fact]
    public async Task AttemptTimeout_WithNoRetryOn124_IsNotRetried()
    {
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--attempt-timeout", "300ms", "--kill-grace", "300ms", "--max-attempts", "3",
            "--no-retry-on", "124", "--base-delay", "10ms", "--report", report,
            "--", .. Child("--count", Scratch.Path("attempts"), "sleep", "30000")]);

        result.AssertExitCode(124);
        Assert.Equal(1, Scratch.Count("attempts"));
        Assert.Equal("notRetryable", RunReport.Load(report).Outcome);
    }

    [Fact]
    public async Task AttemptTimeout_WithRetryOnOtherCodes_IsNotRetried()
    {
        var result = await RunAsync(["--attempt-timeout", "300ms", "--kill-grace", "300ms", "--max-attempts", "3",
            "--retry-on", "1,75", "--base-delay", "10ms", "--", .. Child("--count", Scratch.Path("attempts"), "sleep", "30000")]);

        result.AssertExitCode(124);
        Assert.Equal(1, Scratch.Count("attempts"));
    }

    [Fact]
    public async Task RetryOn_RetriesOnlyTheListedCodes()
    {
        var result = await RunAsync(["--max-attempts", "5", "--retry-on", "3", "--base-delay", "10ms",
            "--", .. Child("exit-codes", Scratch.Path("attempts"), "3,3,4,3")]);

        result.AssertExitCode(4);
        Assert.Equal(3, Scratch.Count("attempts"));
    }

    [Fact]
    public async Task NoRetryOn_EndsTheRunAtOnce()
    {
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--max-attempts", "5", "--no-retry-on", "4,9", "--base-delay", "10ms", "--report", report,
            "--", .. Child("exit-codes", Scratch.Path("attempts"), "3,4,3")]);

        result.AssertExitCode(4);
        Assert.Equal(2, Scratch.Count("attempts"));
        Assert.Equal("notRetryable", RunReport.Load(report).Outcome);
    }

    [Fact]
    public async Task Deadline_EndsARunningAttemptWith124AndTimedOut()
    {
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--deadline", "1s", "--kill-grace", "300ms", "--max-attempts", "3", "--report", report,
            "--", .. Child("--count", Scratch.Path("attempts"), "sleep", "30000")]);

        result.AssertExitCode(124).AssertFasterThan(TimeSpan.FromSeconds(3));
        Assert.True(result.Elapsed >= TimeSpan.FromSeconds(0.9), $"ended before the deadline\n{result}");
        Assert.Equal(1, Scratch.Count("attempts"));
        var loaded = RunReport.Load(report);
        Assert.Equal("timedOut", loaded.Outcome);
        Assert.Equal(124, loaded.ExitCode);
    }

    [Fact]
    public async Task Deadline_CutsALongBackoffShort()
    {
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--deadline", "1s", "--base-delay", "30s", "--max-delay", "30s", "--max-attempts", "3", "--report", report,
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);

        result.AssertExitCode(124).AssertFasterThan(TimeSpan.FromSeconds(2.5));
        Assert.Equal(1, Scratch.Count("attempts"));
        Assert.Equal("timedOut", RunReport.Load(report).Outcome);
    }

    [Fact]
    public async Task Deadline_AfterARetry_EndsWith124BeforeTheNextWaitCrossesIt()
    {
        // The first wait (1s) fits before the deadline (1.6s); the second (2s) would cross it.
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--deadline", "1600ms", "--base-delay", "1s", "--max-attempts", "5", "--report", report,
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);

        result.AssertExitCode(124).AssertFasterThan(TimeSpan.FromSeconds(3));
        Assert.Equal(2, Scratch.Count("attempts"));
        Assert.Equal("timedOut", RunReport.Load(report).Outcome);
    }

    [Theory]
    [InlineData(127, "budget-run-test-no-such-command")]
    [InlineData(126, "/")]
    public async Task StartFailure_IsRecordedAsAnAttempt_WithItsCostReleased_AndNotRetried(int code, string command)
    {
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--max-attempts", "3", "--max-cost-cents", "100", "--cost-per-attempt-cents", "10",
            "--base-delay", "10ms", "--report", report, "--", command]);

        result.AssertExitCode(code);
        var loaded = RunReport.Load(report);
        Assert.Equal("startFailed", loaded.Outcome);
        Assert.Equal(code, loaded.ExitCode);
        Assert.Equal(0, loaded.CostCents);
        var attempt = Assert.Single(loaded.Attempts);
        Assert.Equal(1, loaded.Number(attempt, "number"));
        Assert.Equal("start_error", loaded.Text(attempt, "outcome"));
        Assert.Equal(0, loaded.Number(attempt, "costCents"));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(75)]
    [InlineData(77)]
    [InlineData(124)]
    public async Task ChildsOwnExitCode_LikeBudgetRunsCodes_IsToldApartByTheOutcome(int code)
    {
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--max-attempts", "2", "--base-delay", "10ms", "--report", report,
            "--", .. Child("exit", code.ToString(System.Globalization.CultureInfo.InvariantCulture))]);

        result.AssertExitCode(code);
        var loaded = RunReport.Load(report);
        Assert.Equal("attemptsExhausted", loaded.Outcome);
        Assert.Equal(2, loaded.Attempts.Count);
        Assert.All(loaded.Attempts, attempt => Assert.Equal("failure", loaded.Text(attempt, "outcome")));
    }

    [Fact]
    public async Task LastLogLine_NamesBudgetRunsOwnReason()
    {
        var budget = await RunAsync(["--max-attempts", "3", "--max-cost-cents", "10", "--cost-per-attempt-cents", "10",
            "--base-delay", "10ms", "--", .. Child("exit", "75")]);
        var child = await RunAsync(["--max-attempts", "1", "--", .. Child("exit", "75")]);

        budget.AssertExitCode(75);
        child.AssertExitCode(75);
        Assert.True(budget.StderrLines.Length > 0 && NamesBudgetExhausted(budget.StderrLines[^1]),
            $"the last log line does not say the budget ended the run\n{budget}");
        Assert.True(child.StderrLines.Length > 0 && !NamesBudgetExhausted(child.StderrLines[^1]),
            $"the last log line blames the budget for the child's own 75\n{child}");
    }

    private static bool NamesBudgetExhausted(string line) =>
        line.Contains("budgetExhausted", StringComparison.OrdinalIgnoreCase)
        || line.Contains("budget exhausted", StringComparison.OrdinalIgnoreCase);
}
