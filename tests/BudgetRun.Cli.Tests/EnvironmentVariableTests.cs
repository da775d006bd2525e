using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>MAX_ATTEMPTS, MAX_COST_CENTS and COST_PER_ATTEMPT_CENTS: used when set, beaten by flags, checked like flags.</summary>
public sealed class EnvironmentVariableTests : CliTest
{
    [Fact]
    public async Task MaxAttemptsVariable_SetsTheAttemptCap()
    {
        var result = await RunWithEnvironmentAsync(Vars(("MAX_ATTEMPTS", "2")),
            ["--base-delay", "10ms", "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);

        result.AssertExitCode(1);
        Assert.Equal(2, Scratch.Count("attempts"));
    }

    [Fact]
    public async Task CostVariables_SetTheBudget()
    {
        var result = await RunWithEnvironmentAsync(Vars(("MAX_COST_CENTS", "50"), ("COST_PER_ATTEMPT_CENTS", "30")),
            ["--max-attempts", "5", "--base-delay", "10ms", "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);

        result.AssertExitCode(75);
        Assert.Equal(1, Scratch.Count("attempts"));
    }

    [Fact]
    public async Task MaxAttemptsFlag_WinsOverVariable()
    {
        var result = await RunWithEnvironmentAsync(Vars(("MAX_ATTEMPTS", "3")),
            ["--max-attempts", "1", "--base-delay", "10ms", "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);

        result.AssertExitCode(1);
        Assert.Equal(1, Scratch.Count("attempts"));
    }

    [Fact]
    public async Task CostFlags_WinOverVariables()
    {
        // The variables alone would allow no attempt at all (10 < 30).
        var result = await RunWithEnvironmentAsync(Vars(("MAX_COST_CENTS", "10"), ("COST_PER_ATTEMPT_CENTS", "30")),
            ["--max-cost-cents", "100", "--cost-per-attempt-cents", "50", "--max-attempts", "5", "--base-delay", "10ms",
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);

        result.AssertExitCode(75);
        Assert.Equal(2, Scratch.Count("attempts"));
    }

    [Fact]
    public async Task NoVariablesNoFlags_DefaultToThreeAttemptsAndAFreeBudget()
    {
        var result = await RunAsync(["--base-delay", "10ms", "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);

        result.AssertExitCode(1);
        Assert.Equal(3, Scratch.Count("attempts"));
    }

    [Fact]
    public async Task EmptyVariables_MeanUnset()
    {
        var result = await RunWithEnvironmentAsync(
            Vars(("MAX_ATTEMPTS", ""), ("MAX_COST_CENTS", ""), ("COST_PER_ATTEMPT_CENTS", "")),
            ["--base-delay", "10ms", "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);

        result.AssertExitCode(1);
        Assert.Equal(3, Scratch.Count("attempts"));
    }

    [Theory]
    [InlineData("MAX_ATTEMPTS", "abc")]
    [InlineData("MAX_ATTEMPTS", "2.5")]
    [InlineData("MAX_ATTEMPTS", "0")]
    [InlineData("MAX_ATTEMPTS", "-1")]
    [InlineData("MAX_ATTEMPTS", "1e99")]
    [InlineData("MAX_ATTEMPTS", "0x10")]
    [InlineData("MAX_COST_CENTS", "abc")]
    [InlineData("MAX_COST_CENTS", "-1")]
    [InlineData("MAX_COST_CENTS", "2.5")]
    [InlineData("COST_PER_ATTEMPT_CENTS", "1e99")]
    [InlineData("COST_PER_ATTEMPT_CENTS", "-5")]
    [InlineData("COST_PER_ATTEMPT_CENTS", "NaN")]
    public async Task BadVariable_IsUsageError_OneLineNamingIt_NothingStarted(string variable, string value)
    {
        var result = await RunWithEnvironmentAsync(Vars((variable, value)),
            ["--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        result.AssertExitCode(2);
        var line = result.AssertOneStderrLine();
        Assert.True(line.Contains(variable, StringComparison.Ordinal), $"the error line does not name {variable}: {line}");
        Assert.False(File.Exists(Scratch.Path("started")), $"the command was started despite the bad variable\n{result}");
    }

    private static Dictionary<string, string?> Vars(params (string Name, string Value)[] variables) =>
        variables.ToDictionary(variable => variable.Name, variable => (string?)variable.Value);
}
