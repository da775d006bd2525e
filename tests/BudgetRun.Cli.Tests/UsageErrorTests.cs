using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// Bad input ends with exit 2, one clear line on stderr, no stack trace, and nothing started: the
/// command under budget-run would create its counter file if it ran.
/// </summary>
public sealed class UsageErrorTests : CliTest
{
    public static TheoryData<string, string> BadNumbers => new()
    {
        { "--max-attempts", "abc" },
        { "--max-attempts", "2.5" },
        { "--max-attempts", "1e99" },
        { "--max-attempts", "-1" },
        { "--max-attempts", "0x10" },
        { "--max-attempts", "0" },
        { "--max-attempts", "" },
        { "--max-attempts", "99999999999999999999" },
        { "--max-cost-cents", "abc" },
        { "--max-cost-cents", "2.5" },
        { "--max-cost-cents", "1e99" },
        { "--max-cost-cents", "-1" },
        { "--max-cost-cents", "0x10" },
        { "--cost-per-attempt-cents", "abc" },
        { "--cost-per-attempt-cents", "2.5" },
        { "--cost-per-attempt-cents", "1e99" },
        { "--cost-per-attempt-cents", "-1" },
        { "--cost-per-attempt-cents", "0x10" },
        { "--retry-on", "abc" },
        { "--retry-on", "1,x" },
        { "--no-retry-on", "2.5" },
        { "--log-format", "xml" },
        { "--cgroup", "maybe" },
    };

    [Theory]
    [MemberData(nameof(BadNumbers))]
    public async Task BadValue_IsUsageError_OneLineNamingTheFlag_NothingStarted(string flag, string value)
    {
        var result = await RunAsync([$"{flag}={value}", "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        AssertUsageError(result, flag);
    }

    [Theory]
    [InlineData("--max-attempts", "abc")]
    [InlineData("--max-cost-cents", "-1")]
    [InlineData("--cost-per-attempt-cents", "2.5")]
    public async Task BadValueAsSeparateArgument_IsUsageError(string flag, string value)
    {
        var result = await RunAsync([flag, value, "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        AssertUsageError(result, flag);
    }

    [Fact]
    public async Task UnknownFlag_IsUsageError_OneLineNamingIt()
    {
        var result = await RunAsync(["--frobnicate", "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        AssertUsageError(result, "--frobnicate");
    }

    [Fact]
    public async Task FlagWithoutItsValue_IsUsageError()
    {
        var result = await RunAsync(["--max-attempts", "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        AssertUsageError(result, "--max-attempts");
    }

    [Fact]
    public async Task NoArgumentsAtAll_IsUsageError_OneLine()
    {
        var result = await RunAsync([]);

        result.AssertExitCode(2);
        result.AssertOneStderrLine();
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task NothingAfterTheSeparator_IsUsageError_OneLine()
    {
        var result = await RunAsync(["--max-attempts", "2", "--"]);

        result.AssertExitCode(2);
        result.AssertOneStderrLine();
        Assert.Empty(result.Stdout);
    }

    private void AssertUsageError(ProcessResult result, string named)
    {
        result.AssertExitCode(2);
        var line = result.AssertOneStderrLine();
        Assert.True(line.Contains(named, StringComparison.Ordinal), $"the error line does not name {named}: {line}");
        Assert.Empty(result.Stdout);
        Assert.False(File.Exists(Scratch.Path("started")), $"the command was started despite the usage error\n{result}");
    }
}
