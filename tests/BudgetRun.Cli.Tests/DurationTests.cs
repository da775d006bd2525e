using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>Durations (issue 10): a number, decimals allowed, with ms, s, m or h; above zero, at most 7 days.</summary>
public sealed class DurationTests : CliTest
{
    private static readonly string[] _otherFlags =
        ["--max-delay", "--attempt-timeout", "--deadline", "--kill-grace", "--reset-after"];

    public static TheoryData<string, string> Accepted()
    {
        var data = new TheoryData<string, string>();
        foreach (var value in new[] { "500ms", "1.5s", "2s", "2m", "1h", "168h", "0.5s" })
        {
            data.Add("--base-delay", value);
        }
        foreach (var flag in _otherFlags)
        {
            data.Add(flag, "1.5s");
            data.Add(flag, "168h");
        }
        return data;
    }

    public static TheoryData<string, string> Rejected()
    {
        var data = new TheoryData<string, string>();
        foreach (var value in new[] { "0s", "0ms", "-1s", "5", "8d", "169h", "168.5h", "abc", "1.5", "s", "1e99s", "2 s", "1sec" })
        {
            data.Add("--base-delay", value);
        }
        foreach (var flag in _otherFlags)
        {
            foreach (var value in new[] { "0s", "-1s", "5", "169h", "abc" })
            {
                data.Add(flag, value);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Accepted))]
    public async Task ValidDuration_IsAccepted(string flag, string value)
    {
        // A shell, not the managed test child: with --attempt-timeout=1.5s or --deadline=1.5s the child
        // must be done within 1.5 s, and a .NET child's start-up alone ran past that on a loaded CI machine.
        var result = await RunAsync([$"{flag}={value}", "--", "sh", "-c", $"echo 1 > '{Scratch.Path("started")}'"]);

        result.AssertExitCode(0);
        Assert.Equal(1, Scratch.Count("started"));
    }

    [Theory]
    [MemberData(nameof(Rejected))]
    public async Task InvalidDuration_IsUsageError_OneLine_NothingStarted(string flag, string value)
    {
        var result = await RunAsync([$"{flag}={value}", "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        result.AssertExitCode(2);
        var line = result.AssertOneStderrLine();
        Assert.True(line.Contains(flag, StringComparison.Ordinal), $"the error line does not name {flag}: {line}");
        Assert.False(File.Exists(Scratch.Path("started")), $"the command was started despite the usage error\n{result}");
    }

    [Fact]
    public async Task NegativeDurationAsSeparateArgument_IsUsageError()
    {
        var result = await RunAsync(["--base-delay", "-1s", "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        result.AssertExitCode(2).AssertOneStderrLine();
        Assert.False(File.Exists(Scratch.Path("started")));
    }
}
