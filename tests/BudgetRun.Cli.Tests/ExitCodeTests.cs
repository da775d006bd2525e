using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>The exit-code table of issue 3, row by row (the signal rows are in <see cref="SignalTests"/>).</summary>
public sealed class ExitCodeTests : CliTest
{
    [Fact]
    public async Task SucceedingCommand_ExitsZero()
    {
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--report", report, "--", .. Child("exit", "0")]);

        result.AssertExitCode(0);
        Assert.Equal("succeeded", RunReport.Load(report).Outcome);
    }

    [Fact]
    public async Task AttemptsUsedUp_ExitsWithTheChildsLastCode()
    {
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--max-attempts", "3", "--base-delay", "10ms", "--report", report,
            "--", .. Child("exit-codes", Scratch.Path("attempts"), "5,6,7")]);

        result.AssertExitCode(7);
        Assert.Equal(3, Scratch.Count("attempts"));
        var loaded = RunReport.Load(report);
        Assert.Equal("attemptsExhausted", loaded.Outcome);
        Assert.Equal(7, loaded.ExitCode);
    }

    [Fact]
    public async Task FailingThenSucceeding_ExitsZeroAfterRetries()
    {
        var result = await RunAsync(["--max-attempts", "3", "--base-delay", "10ms",
            "--", .. Child("fail-until", "3", Scratch.Path("attempts"))]);

        result.AssertExitCode(0);
        Assert.Equal(3, Scratch.Count("attempts"));
    }

    [Theory]
    [InlineData("KILL", 9)]
    [InlineData("SEGV", 11)]
    [InlineData("TERM", 15)]
    [InlineData("USR1", 10)]
    public async Task ChildDiedOfSignal_ExitsWith128PlusSignal(string signal, int number)
    {
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--max-attempts", "1", "--report", report, "--", .. Child("kill-self", signal)]);

        result.AssertExitCode(128 + number);
        var loaded = RunReport.Load(report);
        Assert.Equal("attemptsExhausted", loaded.Outcome);
        var attempt = Assert.Single(loaded.Attempts);
        Assert.Equal("signal", loaded.Text(attempt, "outcome"));
        var recorded = loaded.Field(attempt, "signal");
        Assert.True(
            recorded.ValueKind == System.Text.Json.JsonValueKind.Number
                ? recorded.GetInt32() == number
                : recorded.GetString()!.Contains(signal, StringComparison.OrdinalIgnoreCase),
            $"attempt signal {recorded} is not {signal} ({number})\n{loaded.Json}");
    }

    [Fact]
    public async Task ChildDiedOfSignalOnEveryAttempt_IsRetriedThenExitsWith128PlusSignal()
    {
        var result = await RunAsync(["--max-attempts", "2", "--base-delay", "10ms",
            "--", .. Child("--count", Scratch.Path("attempts"), "kill-self", "KILL")]);

        result.AssertExitCode(137);
        Assert.Equal(2, Scratch.Count("attempts"));
    }

    [Fact]
    public async Task BudgetExhausted_Exits75()
    {
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--max-attempts", "5", "--base-delay", "10ms", "--max-cost-cents", "40",
            "--cost-per-attempt-cents", "20", "--report", report, "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);

        result.AssertExitCode(75);
        Assert.Equal(2, Scratch.Count("attempts"));
        Assert.Equal("budgetExhausted", RunReport.Load(report).Outcome);
    }

    [Fact]
    public async Task MissingCommand_Exits127_OneLine_NotRetried()
    {
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--max-attempts", "3", "--base-delay", "10ms", "--report", report,
            "--", "budget-run-test-no-such-command"]);

        result.AssertExitCode(127);
        var line = result.AssertOneStderrLine();
        Assert.Contains("budget-run-test-no-such-command", line, StringComparison.Ordinal);
        var loaded = RunReport.Load(report);
        Assert.Equal("startFailed", loaded.Outcome);
        Assert.Equal("start_error", loaded.Text(Assert.Single(loaded.Attempts), "outcome"));
    }

    [Fact]
    public async Task MissingCommandByPath_Exits127()
    {
        var missing = Scratch.Path("no-such-program");
        var result = await RunAsync(["--max-attempts", "3", "--", missing]);

        result.AssertExitCode(127).AssertNoStackTrace();
        Assert.Contains(missing, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task FileWithoutExecutePermission_Exits126_NotRetried()
    {
        var script = Scratch.Path("not-executable.sh");
        File.WriteAllText(script, "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var report = Scratch.Path("report.json");

        var result = await RunAsync(["--max-attempts", "3", "--base-delay", "10ms", "--report", report, "--", script]);

        result.AssertExitCode(126).AssertOneStderrLine();
        var loaded = RunReport.Load(report);
        Assert.Equal("startFailed", loaded.Outcome);
        Assert.Equal("start_error", loaded.Text(Assert.Single(loaded.Attempts), "outcome"));
    }

    [Fact]
    public async Task Directory_Exits126()
    {
        var result = await RunAsync(["--max-attempts", "3", "--", Scratch.Directory]);

        result.AssertExitCode(126).AssertNoStackTrace();
    }

    [Theory]
    [InlineData(126)]
    [InlineData(127)]
    public async Task ChildExiting126Or127Itself_IsNotRetried(int code)
    {
        var result = await RunAsync(["--max-attempts", "3", "--base-delay", "10ms",
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", code.ToString(System.Globalization.CultureInfo.InvariantCulture))]);

        result.AssertExitCode(code);
        Assert.Equal(1, Scratch.Count("attempts"));
    }
}
