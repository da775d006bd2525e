using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>The budget rule: each attempt's cost is reserved before it starts; one that does not fit never starts.</summary>
public sealed class BudgetTests : CliTest
{
    [Theory]
    [InlineData(50, 30, 1)]
    [InlineData(60, 30, 2)]
    [InlineData(89, 30, 2)]
    [InlineData(90, 30, 3)]
    [InlineData(1, 1, 1)]
    public async Task FailingCommand_RunsAsManyAttemptsAsTheBudgetHolds(int budget, int cost, int expectedAttempts)
    {
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--max-cost-cents", Text(budget), "--cost-per-attempt-cents", Text(cost),
            "--max-attempts", "10", "--base-delay", "10ms", "--report", report,
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);

        result.AssertExitCode(75);
        Assert.Equal(expectedAttempts, Scratch.Count("attempts"));
        var loaded = RunReport.Load(report);
        Assert.Equal("budgetExhausted", loaded.Outcome);
        Assert.Equal(75, loaded.ExitCode);
        Assert.Equal(expectedAttempts * cost, loaded.CostCents);
        Assert.Equal(budget, loaded.BudgetCents);
        Assert.Equal(expectedAttempts, loaded.Attempts.Count);
        Assert.All(loaded.Attempts, attempt => Assert.Equal(cost, loaded.Number(attempt, "costCents")));
    }

    [Fact]
    public async Task BudgetSmallerThanOneAttempt_RunsNothing_Exits75()
    {
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--max-cost-cents", "20", "--cost-per-attempt-cents", "30",
            "--report", report, "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")]);

        result.AssertExitCode(75).AssertNoStackTrace();
        Assert.False(File.Exists(Scratch.Path("attempts")), "an attempt that does not fit the budget was started");
        var loaded = RunReport.Load(report);
        Assert.Equal("budgetExhausted", loaded.Outcome);
        Assert.Empty(loaded.Attempts);
        Assert.Equal(0, loaded.CostCents);
    }

    [Fact]
    public async Task FreeAttempts_FitInAZeroBudget()
    {
        var result = await RunAsync(["--max-cost-cents", "0", "--cost-per-attempt-cents", "0", "--max-attempts", "3",
            "--base-delay", "10ms", "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);

        result.AssertExitCode(1);
        Assert.Equal(3, Scratch.Count("attempts"));
    }

    [Fact]
    public async Task SucceedingRun_ChargesEveryAttemptItRan()
    {
        var report = Scratch.Path("report.json");
        var result = await RunAsync(["--max-cost-cents", "100", "--cost-per-attempt-cents", "30", "--max-attempts", "5",
            "--base-delay", "10ms", "--report", report, "--", .. Child("fail-until", "2", Scratch.Path("attempts"))]);

        result.AssertExitCode(0);
        var loaded = RunReport.Load(report);
        Assert.Equal("succeeded", loaded.Outcome);
        Assert.Equal(60, loaded.CostCents);
        Assert.Equal(100, loaded.BudgetCents);
    }

    private static string Text(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
