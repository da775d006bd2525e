using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary><c>--warn-at-percent</c>: one line and a metric, once per run, when the committed spend reaches P% of the run's budget.</summary>
public sealed class SpendWarningTests : CliTest
{
    [Fact]
    public async Task SpendPastThePercentage_LogsOneLineOnce_AndSetsTheMetric()
    {
        // 30 cents an attempt of 100: 60 after attempt 2 is past 50%, 90 after attempt 3 is not told again.
        var child = $"curl -sf \"$BUDGET_RUN_URL/metrics\" > '{Scratch.Directory}'/metrics.$BUDGET_RUN_ATTEMPT; exit 1";
        var result = await RunAsync(["--listen", "127.0.0.1:0", "--max-attempts", "3", "--base-delay", "10ms", "--max-cost-cents", "100",
            "--cost-per-attempt-cents", "30", "--warn-at-percent", "50", "--", "sh", "-c", child]);

        result.AssertExitCode(1).AssertNoStackTrace();
        var warnings = result.StderrLines.Where(line => line.Contains("spend warning", StringComparison.Ordinal)).ToArray();
        Assert.Equal(["spend warning: this run has spent 60 of its 100 cents, at least 50% (--warn-at-percent)"], warnings.Select(Message));
        Assert.Contains("budget_run_budget_warning_crossed{workload=\"sh\"} 0", File.ReadAllText(Scratch.Path("metrics.2")), StringComparison.Ordinal);
        Assert.Contains("budget_run_budget_warning_crossed{workload=\"sh\"} 1", File.ReadAllText(Scratch.Path("metrics.3")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, true)] // the default, 80%: 90 of 100
    [InlineData("off", false)]
    [InlineData("0", false)]
    [InlineData("95", false)]
    public async Task TheDefaultWarnsAtEightyPercent_AndOffOrZeroNever(string? flag, bool warns)
    {
        string[] option = flag is null ? [] : ["--warn-at-percent", flag];
        var result = await RunAsync([.. option, "--max-attempts", "3", "--base-delay", "10ms", "--max-cost-cents", "100", "--cost-per-attempt-cents", "30",
            "--", .. Child("exit", "1")]);

        result.AssertExitCode(1);
        Assert.Equal(warns, result.Stderr.Contains("spend warning: this run has spent 90 of its 100 cents, at least 80%", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("101")]
    [InlineData("-1")]
    [InlineData("50%")]
    [InlineData("yes")]
    public async Task APercentageOutOfRange_IsAUsageError(string value)
    {
        var result = await RunAsync(["--warn-at-percent", value, "--", .. Child("exit", "0")]);

        result.AssertExitCode(2);
        Assert.Contains($"--warn-at-percent: '{value}' is not a whole number from 1 to 100", result.AssertOneStderrLine(), StringComparison.Ordinal);
    }

    /// <summary>The message of a text log line: what follows its level.</summary>
    private static string Message(string line) => line[(line.IndexOf("spend warning", StringComparison.Ordinal))..];
}
