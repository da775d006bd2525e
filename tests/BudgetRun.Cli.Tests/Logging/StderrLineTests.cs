using System.Text.Json;
using BudgetRun.Cli.Tests.Ledgers;
using Xunit.Sdk;

namespace BudgetRun.Cli.Tests.Logging;

/// <summary>
/// <c>--log-format json</c>: every line budget-run writes to stderr is one JSON object with a
/// level (<c>@l</c>) and a message (<c>@m</c>), the lines written without the logger too: usage
/// errors (2), a typo of a subcommand (127), no such account (66), an unreachable ledger (69) and
/// the subcommands' warnings. The flag is found before the command line is parsed, so an error in
/// any other flag is JSON as well.
/// </summary>
public sealed class StderrLineTests() : LedgerTest(redis: null)
{
    public static TheoryData<string[]> UsageErrors => new()
    {
        new[] { "--log-format", "json", "--max-attempts", "abc", "--", "true" },
        new[] { "--max-attempts=abc", "--log-format=json", "--", "true" },
        new[] { "--log-format:json", "--frobnicate", "--", "true" },
        new[] { "--log-format", "json", "--jitter=maybe", "--", "true" },
        new[] { "--log-format", "json", "--name", "a\nb", "--", "true" },
        new[] { "--log-format", "json" },
        new[] { "status", "--log-format", "json" },
        new[] { "budget", "show", "--log-format", "json", "--max-attempts", "2" },
        new[] { "kill", "--log-format", "json", "--budget-key", "k", "--reason", new string('x', 2000) },
    };

    [Theory]
    [MemberData(nameof(UsageErrors))]
    public async Task UsageError_WithJsonLogFormat_IsOneJsonLine_Exit2(string[] args)
    {
        var result = await RunToEndAsync(args);

        result.AssertExitCode(2);
        var (level, message) = Assert.Single(JsonLines(result));
        Assert.Equal("Error", level);
        Assert.Contains("see budget-run --help", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UsageError_WithoutJsonLogFormat_StaysTheTextLine()
    {
        var result = await RunToEndAsync(["--max-attempts", "abc", "--", "true"]);

        result.AssertExitCode(2);
        Assert.StartsWith("budget-run: --max-attempts: 'abc'", result.AssertOneStderrLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CommandsOwnLogFormatFlag_DoesNotMakeBudgetRunsLinesJson()
    {
        var result = await RunToEndAsync(["--max-attempts", "1", "--", "budget-run-test-no-such-command", "--log-format", "json"]);

        result.AssertExitCode(127);
        var line = result.AssertOneStderrLine();
        Assert.DoesNotContain("{", line, StringComparison.Ordinal);
        Assert.Contains("budget-run WRN run ended: ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoSuchAccount_OfStatus_WithJsonLogFormat_IsOneJsonLine_Exit66()
    {
        (await RunToEndAsync(["budget", "set", .. Account(LedgerKind.Sqlite, "other"), "--max-cost-cents", "10"])).AssertExitCode(0);

        var result = await RunToEndAsync(["status", .. Account(LedgerKind.Sqlite), "--log-format", "json"]);

        result.AssertExitCode(66);
        var (level, message) = Assert.Single(JsonLines(result));
        Assert.Equal("Error", level);
        Assert.Contains("does not exist", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoSuchAccount_OfARunWithRequireAccount_WithJsonLogFormat_IsOneJsonLine_Exit66()
    {
        var result = await RunToEndAsync(["--log-format", "json", .. Account(LedgerKind.Sqlite), "--require-account",
            "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        result.AssertExitCode(66);
        Assert.Equal("Error", Assert.Single(JsonLines(result)).Level);
        Assert.Equal(0, Scratch.Count("started"));
    }

    [Fact]
    public async Task UnreachableLedger_OfARun_WithJsonLogFormat_IsOneJsonLine_Exit69()
    {
        var ledger = $"redis://127.0.0.1:{Ports.FreeLoopback()}/0";

        var result = await RunToEndAsync(["--log-format", "json", "--ledger", ledger, "--budget-key", Key, "--ledger-timeout", "1s",
            "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        result.AssertExitCode(69);
        var (level, message) = Assert.Single(JsonLines(result));
        Assert.Equal("Error", level);
        Assert.Contains(ledger, message, StringComparison.Ordinal);
        Assert.Equal(0, Scratch.Count("started"));
    }

    [Theory]
    [InlineData("status")]
    [InlineData("kill")]
    public async Task UnreachableLedger_OfASubcommand_WithJsonLogFormat_IsOneJsonLine_Exit69(string subcommand)
    {
        var ledger = $"redis://127.0.0.1:{Ports.FreeLoopback()}/0";

        var result = await RunToEndAsync([subcommand, "--log-format", "json", "--ledger", ledger, "--budget-key", Key, "--ledger-timeout", "1s"]);

        result.AssertExitCode(69);
        Assert.Contains(ledger, Assert.Single(JsonLines(result)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KillOfAnUnknownKey_WithJsonLogFormat_WarnsInJson()
    {
        var result = await RunToEndAsync(["kill", .. Account(LedgerKind.Sqlite), "--log-format", "json"]);

        result.AssertExitCode(0);
        Assert.Equal("Warning", Assert.Single(JsonLines(result)).Level);
    }

    [Fact]
    public async Task SubcommandTypo_FollowedByJsonLogFormat_IsOneJsonLine_Exit127()
    {
        var result = await RunToEndAsync(["statsu", "--log-format", "json"]);

        result.AssertExitCode(127);
        Assert.Contains("did you mean 'status'?", Assert.Single(JsonLines(result)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryLineOfARun_WithJsonLogFormat_HasALevel_InformationToo()
    {
        var result = await RunToEndAsync(["--log-format", "json", "--max-attempts", "1", "--", .. Child("exit", "0")]);

        result.AssertExitCode(0);
        Assert.Contains(JsonLines(result), line => line.Level == "Information");
    }

    /// <summary>Every stderr line as (level, message); fails unless each is a JSON object with both.</summary>
    private static List<(string Level, string Message)> JsonLines(ProcessResult result)
    {
        Assert.NotEmpty(result.StderrLines);
        var lines = new List<(string, string)>();
        foreach (var line in result.StderrLines)
        {
            try
            {
                using var json = JsonDocument.Parse(line);
                lines.Add((json.RootElement.GetProperty("@l").GetString()!, json.RootElement.GetProperty("@m").GetString()!));
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new XunitException($"a stderr line is not a JSON object with @l and @m ({ex.Message}): {line}\n{result}");
            }
        }
        return lines;
    }
}
