using System.Net;
using System.Text.Json;
using BudgetRun.Cli.Tests.Ledgers;

namespace BudgetRun.Cli.Tests.Text;

/// <summary>
/// A newline, CR, ESC or bidi override in anything a user or a child controls (a command name, a
/// flag value, a kill reason) is shown as a visible escape in every human line: the text log, the
/// usage errors and the subcommands' output; it never forges a line or reaches the terminal raw.
/// JSON output keeps the exact text, escaped once by the JSON writer.
/// </summary>
public sealed class HumanTextOutputTests() : LedgerTest(redis: null)
{
    private const string Esc = "\u001b";

    /// <summary>Clears the screen and forges a log line if printed raw.</summary>
    private const string Hostile = "x\n00:00:00.000 budget-run INF run ended: succeeded (exit 0): all good\r" + Esc + "[2J\u202eevil";

    private const string HostileShown = @"x\n00:00:00.000 budget-run INF run ended: succeeded (exit 0): all good\r\x1b[2J\u202eevil";

    [Fact]
    public async Task CommandNamedWithANewlineAndAnEsc_IsOneEscapedLogLine()
    {
        var result = await RunToEndAsync(["--max-attempts", "2", "--", Scratch.Path(Hostile)]);

        result.AssertExitCode(127);
        var line = result.AssertOneStderrLine();
        Assert.Contains(HostileShown, line, StringComparison.Ordinal);
        AssertNoRawControls(result.Stderr);
    }

    [Fact]
    public async Task NotExecutableCommandNamedWithControls_IsEscapedInTheLogToo()
    {
        var path = Scratch.Path("job\t" + Esc + "]0;title\u0007");
        File.WriteAllText(path, "not a program");

        var result = await RunToEndAsync(["--max-attempts", "1", "--", path]);

        result.AssertExitCode(126);
        Assert.Contains(@"job\t\x1b]0;title\x07", result.AssertOneStderrLine(), StringComparison.Ordinal);
        AssertNoRawControls(result.Stderr);
    }

    [Theory]
    [InlineData("--max-attempts", "1\n2")]
    [InlineData("--name", "web\r\n" + Esc + "[31m")]
    [InlineData("--base-delay", "1s\u202e")]
    [InlineData("--budget-key", "key\nforged")]
    public async Task BadFlagValueWithControls_IsExactlyOneEscapedLineOnStderr(string flag, string value)
    {
        var result = await RunToEndAsync([flag, value, "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        result.AssertExitCode(2);
        var line = result.AssertOneStderrLine();
        Assert.StartsWith($"budget-run: {flag}", line, StringComparison.Ordinal);
        AssertNoRawControls(result.Stderr);
        Assert.Equal(0, Scratch.Count("started"));
    }

    [Fact]
    public async Task KillReasonWithANewlineAndAnEsc_ReadBackByStatus_IsEscapedInText_AndExactInJson()
    {
        (await RunToEndAsync(["budget", "set", .. Account(LedgerKind.Sqlite), "--max-cost-cents", "100"])).AssertExitCode(0);
        (await RunToEndAsync(["kill", .. Account(LedgerKind.Sqlite), "--reason", Hostile])).AssertExitCode(0);

        var text = await RunToEndAsync(["status", .. Account(LedgerKind.Sqlite)]);
        var json = await StatusAsync(LedgerKind.Sqlite);

        text.AssertExitCode(0);
        Assert.Contains($"kill reason:  {HostileShown}\n", text.StdoutText, StringComparison.Ordinal);
        Assert.Equal(9, text.StdoutText.Count(c => c == '\n')); // one line per field, none forged
        AssertNoRawControls(text.StdoutText.Replace("\n", "", StringComparison.Ordinal));
        Assert.Equal(Hostile, json.KillReason);
    }

    [Fact]
    public async Task KillReasonPostedToTheControlPlane_IsEscapedInTheRunsLog_AndExactInTheJsonLog()
    {
        const string Token = "0123456789abcdef-token";
        var environment = new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = Token };
        foreach (var format in new[] { "text", "json" })
        {
            using var run = Launch(["--log-format", format, "--listen", "127.0.0.1:0", "--max-attempts", "1", "--kill-grace", "200ms",
                "--", .. Child("sleep", "600000")], environment);
            using var client = await ControlPlaneClient.ConnectAsync(run);

            var answer = await client.PostAsync("/kill", JsonSerializer.Serialize(new Dictionary<string, string> { ["reason"] = Hostile }), Token);
            var result = await run.WaitAsync();

            answer.AssertStatus(HttpStatusCode.Accepted);
            result.AssertExitCode(77);
            AssertNoRawControls(result.Stderr.Replace("\n", "", StringComparison.Ordinal));
            if (format == "text")
            {
                Assert.True(result.StderrLines[^1].Contains(HostileShown, StringComparison.Ordinal), result.ToString());
                Assert.Single(result.StderrLines, line => line.Contains("run ended:", StringComparison.Ordinal));
            }
            else
            {
                using var last = JsonDocument.Parse(result.StderrLines[^1]);
                Assert.Equal(Hostile, last.RootElement.GetProperty("Reason").GetString());
            }
        }
    }

    [Fact]
    public async Task LedgerPathWithControls_IsEscapedInBudgetSetShowListKillAndResume()
    {
        var ledger = "sqlite:" + Scratch.Path("led\nger" + Esc + "[2J.db");
        string[] account = ["--ledger", ledger, "--budget-key", Key];

        var answers = new[]
        {
            (await RunToEndAsync(["budget", "set", .. account, "--max-cost-cents", "100"]), 1),
            (await RunToEndAsync(["budget", "show", .. account]), 9),
            (await RunToEndAsync(["budget", "list", "--ledger", ledger]), 1),
            (await RunToEndAsync(["kill", .. account]), 1),
            (await RunToEndAsync(["resume", .. account]), 1),
        };

        foreach (var (answer, lines) in answers)
        {
            answer.AssertExitCode(0);
            Assert.Equal(lines, answer.StdoutText.Count(c => c == '\n'));
            // budget list separates its fields with tabs; within a field they are escaped like the rest
            AssertNoRawControls(answer.StdoutText.Replace("\n", "", StringComparison.Ordinal).Replace("\t", "", StringComparison.Ordinal));
        }
        Assert.Contains(@"led\nger\x1b[2J.db", answers[1].Item1.StdoutText, StringComparison.Ordinal);
    }

    private static void AssertNoRawControls(string text)
    {
        foreach (var c in text)
        {
            Assert.False(c != '\n' && BudgetRun.Cli.Text.HumanText.IsUnsafe(c), $"raw U+{(int)c:X4} in output:\n{text}");
        }
    }
}
