using System.Net;
using System.Text.RegularExpressions;
using BudgetRun.Cli.Tests.Ledgers;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// Every message about spend uses the README's vocabulary (spent, reserved, remaining, limit, run
/// cap) and says each figure once: an attempt is never "3 of 2", a line never gives two different
/// "spent" figures, and a run in a shared account says both what it spent and the account's total.
/// </summary>
public sealed partial class SpendMessageTests() : LedgerTest(redis: null)
{
    private const string Token = "0123456789abcdef-token";

    [Fact]
    public async Task AfterResetAfter_NoAttemptIsCountedPastTheCap_AndTheLastLineSaysWhatTheCapCounted()
    {
        // Attempts 1 and 2 run 400ms (healthy: the count starts over); 3 and 4 fail at once and use up the cap of 2.
        var counter = Scratch.Path("attempts");
        var result = await RunToEndAsync(["--max-attempts", "2", "--reset-after", "300ms", "--base-delay", "10ms",
            "--", "sh", "-c", $"n=$(( $(cat '{counter}' 2>/dev/null || echo 0) + 1 )); echo $n > '{counter}'; [ $n -le 2 ] && sleep 0.4; exit 1"]);

        result.AssertExitCode(1);
        Assert.Equal(4, Scratch.Count("attempts"));
        foreach (Match match in AttemptOf().Matches(result.Stderr))
        {
            Assert.True(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
                <= int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), $"'{match.Value}'\n{result}");
        }
        Assert.Contains("attempt 3 started: pid ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("(1 of 2 allowed since the count started over)", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("(2 of 2 allowed since the count started over)", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("the 2 attempt(s) allowed since the count started over failed (4 in all)", LastLine(result), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1100, 1110)] // far past the limit: reported spend is recorded, never refused
    [InlineData(90, 100)] // with the attempt's 10 cents reserved, nothing remains
    public async Task ReportedSpendThatEndsTheRun_IsSaidOnce_InTheLastLine(int reported, int spent)
    {
        using var run = Launch(["--listen", "127.0.0.1:0", "--max-attempts", "2", "--max-cost-cents", "100", "--cost-per-attempt-cents", "10",
            "--kill-grace", "200ms", "--", .. Child("sleep", "600000")], new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = Token });
        using var client = await ControlPlaneClient.ConnectAsync(run);
        await Wait.UntilAsync(() => run.StderrSoFar.Contains(LogMarkers.AttemptStarted, StringComparison.Ordinal), TimeSpan.FromSeconds(15),
            "the attempt started", run);

        var answer = await client.PostAsync("/cost", $"{{\"cents\": {reported}}}", Token);
        var result = await run.WaitAsync();

        Assert.Equal(HttpStatusCode.PaymentRequired, answer.Status);
        result.AssertExitCode(75);
        var last = LastLine(result);
        Assert.Contains("reported spend reached the limit: nothing remains of 100 cents", last, StringComparison.Ordinal);
        Assert.Single(Spent().Matches(last));
        Assert.EndsWith($"; spent {spent} of 100 cents in 1 attempt(s)", last, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunInASharedAccount_SaysWhatItSpent_AndTheAccountsTotal()
    {
        (await RunToEndAsync(["budget", "set", .. Account(LedgerKind.Sqlite), "--max-cost-cents", "1000"])).AssertExitCode(0);
        (await RunToEndAsync([.. Account(LedgerKind.Sqlite), "--cost-per-attempt-cents", "900", "--", .. Child("exit", "0")])).AssertExitCode(0);

        var result = await RunToEndAsync([.. Account(LedgerKind.Sqlite), "--cost-per-attempt-cents", "30", "--", .. Child("exit", "0")]);

        result.AssertExitCode(0);
        Assert.EndsWith($"; this run spent 30 cents in 1 attempt(s); account {Key}: 930 of 1000 cents spent", LastLine(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunWithARunCapInASharedAccount_SaysItsSpendAgainstTheCap_AndTheAccountsTotal()
    {
        (await RunToEndAsync(["budget", "set", .. Account(LedgerKind.Sqlite), "--max-cost-cents", "1000"])).AssertExitCode(0);
        (await RunToEndAsync([.. Account(LedgerKind.Sqlite), "--cost-per-attempt-cents", "900", "--", .. Child("exit", "0")])).AssertExitCode(0);

        var result = await RunToEndAsync([.. Account(LedgerKind.Sqlite), "--max-cost-cents", "50", "--cost-per-attempt-cents", "30",
            "--max-attempts", "3", "--base-delay", "10ms", "--", .. Child("exit", "1")]);

        result.AssertExitCode(75);
        var last = LastLine(result);
        Assert.Contains("budget exhausted: an attempt costs 30 cents and 20 of 50 remain", last, StringComparison.Ordinal);
        Assert.EndsWith($"; this run spent 30 of its 50-cent run cap in 1 attempt(s); account {Key}: 930 of 1000 cents spent", last, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunInASharedAccountWhoseLedgerWentAway_SaysItsSpend_AndThatTheAccountIsUnknown()
    {
        await using var server = await RedisServer.StartAsync();
        using var run = Launch(["--ledger", server.Uri, "--budget-key", Key, "--cost-per-attempt-cents", "7", "--ledger-timeout", "1s",
            "--max-attempts", "3", "--base-delay", "3s", "--max-delay", "3s", "--", .. Child("exit", "1")]);
        await Wait.UntilAsync(() => run.StderrSoFar.Contains("next attempt in", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
            "the first attempt failed and the backoff began", run);

        server.Kill();
        var result = await run.WaitAsync();

        result.AssertExitCode(69);
        Assert.EndsWith($"; this run spent 7 cents in 1 attempt(s); account {Key}: unknown (the ledger cannot be reached)", LastLine(result),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunWithoutAKey_KeepsItsOneSpentFigure()
    {
        var result = await RunToEndAsync(["--max-cost-cents", "50", "--cost-per-attempt-cents", "30", "--", .. Child("exit", "1")]);

        result.AssertExitCode(75);
        var last = LastLine(result);
        Assert.Single(Spent().Matches(last));
        Assert.EndsWith("; spent 30 of 50 cents in 1 attempt(s)", last, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"attempt (\d+) of (\d+)")]
    private static partial Regex AttemptOf();

    [GeneratedRegex(@"\bspent\b")]
    private static partial Regex Spent();
}
