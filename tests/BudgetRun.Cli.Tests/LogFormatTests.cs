using System.Text.Json;
using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary><c>--log-format json</c>: every line budget-run itself writes to stderr is one JSON object.</summary>
public sealed class LogFormatTests : CliTest
{
    /// <summary>Stands for test-child's path in the theory data, which is built before any test runs.</summary>
    private const string TestChild = "{test-child}";

    public static TheoryData<string[], int> Runs => new()
    {
        { ["--max-attempts", "2", "--base-delay", "10ms", "--", TestChild, "exit", "1"], 1 },
        { ["--max-attempts", "2", "--base-delay", "10ms", "--", TestChild, "exit", "0"], 0 },
        { ["--max-cost-cents", "10", "--cost-per-attempt-cents", "20", "--", TestChild, "exit", "0"], 75 },
        { ["--max-attempts", "2", "--", "budget-run-test-no-such-command"], 127 },
        { ["--max-attempts", "1", "--attempt-timeout", "200ms", "--kill-grace", "200ms", "--", TestChild, "sleep", "10000"], 124 },
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public async Task JsonLogFormat_EveryStderrLineIsAJsonObject(string[] args, int expectedCode)
    {
        var result = await RunAsync(["--log-format", "json", .. args.Select(arg => arg == TestChild ? Executables.TestChild : arg)]);

        result.AssertExitCode(expectedCode);
        Assert.NotEmpty(result.StderrLines);
        foreach (var line in result.StderrLines)
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException)
            {
                throw new Xunit.Sdk.XunitException($"a stderr line is not JSON: {line}\n{result}");
            }
            using (document)
            {
                Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            }
        }
    }

    [Fact]
    public async Task JsonLogFormat_LeavesStdoutToTheChild()
    {
        var result = await RunAsync(["--log-format", "json", "--max-attempts", "2", "--base-delay", "10ms",
            "--", Executables.TestChild, "print-lines", "3"]);

        result.AssertExitCode(0);
        Assert.Equal("line 1\nline 2\nline 3\n", result.StdoutText);
    }
}
