using System.Text.Json;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// <c>budget-run history</c> against the real binary: who spent what, when, with totals that equal
/// the account's spent, in text, JSON and CSV, after faults too, and <c>--follow</c>.
/// </summary>
public sealed class HistoryTests(RedisFixture redis) : LedgerTest(redis), IClassFixture<RedisFixture>
{
    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task History_AfterRunsAndAKill_ListsEveryChange_AndItsTotalsEqualTheAccount(LedgerKind kind)
    {
        (await RunToEndAsync([.. Budget(kind, 1000, 30), "--max-attempts", "3", "--base-delay", "1ms", "--", .. Child("exit", "3")])).AssertExitCode(3);
        (await RunToEndAsync([.. Budget(kind, 1000, 30), "--", .. Child("exit", "0")])).AssertExitCode(0);
        (await AdministerAsync(kind, "kill", "--reason", "INC-5")).AssertExitCode(0);

        var json = await RunToEndAsync(["history", .. Account(kind), "--json"]);
        var text = await RunToEndAsync(["history", .. Account(kind)]);
        var csv = await RunToEndAsync(["history", .. Account(kind), "--csv"]);

        using var document = JsonDocument.Parse(json.AssertExitCode(0).AssertNoStackTrace().StdoutText);
        var entries = document.RootElement.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(["terms", "reserve", "settle", "reserve", "settle", "reserve", "settle", "reserve", "settle", "kill"],
            entries.Select(e => e.GetProperty("kind").GetString()));
        var status = await StatusAsync(kind);
        Assert.Equal(120L, status.SpentCents);
        Assert.Equal(status.SpentCents, document.RootElement.GetProperty("totalSpentCents").GetInt64());
        Assert.Equal(status.SpentCents, entries.Sum(e => e.GetProperty("spentDeltaCents").GetInt64()));
        Assert.Equal("INC-5", entries[^1].GetProperty("detail").GetString());
        Assert.All(entries, e => Assert.False(string.IsNullOrEmpty(e.GetProperty("runId").GetString())));
        Assert.Contains("total: 10 entries, spent +120 cents, reserved 0 cents", text.AssertExitCode(0).StdoutText, StringComparison.Ordinal);
        var rows = csv.AssertExitCode(0).StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("at,budgetKey,kind,bucket,spentDeltaCents", rows[0], StringComparison.Ordinal);
        Assert.Equal(11, rows.Length);
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task History_AfterASupervisorWasSigkilled_HasTheExpiry_AndStillEqualsTheAccount(LedgerKind kind)
    {
        // The run dies holding a reservation; it expires (spent in full) when the next run reserves.
        using (var killed = Launch([.. Budget(kind, 1000, 40), "--reservation-ttl", "1s", "--", .. Child("--pid-file", Scratch.Path("child.pid"), "sleep", "600000")]))
        {
            var child = await Wait.ForPidAsync(Scratch.Path("child.pid"), killed);
            killed.Signal(Posix.SIGKILL);
            await killed.WaitAsync();
            Posix.Kill(child, Posix.SIGKILL);
        }
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        (await RunToEndAsync([.. Budget(kind, 1000, 10), "--reservation-ttl", "1s", "--", .. Child("exit", "0")])).AssertExitCode(0);

        var json = await RunToEndAsync(["history", .. Account(kind), "--json"]);

        using var document = JsonDocument.Parse(json.AssertExitCode(0).StdoutText);
        var kinds = document.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.Equal(["terms", "reserve", "expire", "reserve", "settle"], kinds);
        var status = await StatusAsync(kind);
        Assert.Equal(50L, status.SpentCents);
        Assert.Equal(status.SpentCents, document.RootElement.GetProperty("totalSpentCents").GetInt64());
        Assert.Equal(0L, document.RootElement.GetProperty("totalReservedCents").GetInt64());
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task Follow_PrintsNewEntriesAsTheyAreWritten_AndEndsCleanlyOnSigint(LedgerKind kind)
    {
        (await RunToEndAsync(["budget", "set", .. Account(kind), "--max-cost-cents", "500"])).AssertExitCode(0);
        using var follow = Launch(["history", .. Account(kind), "--follow", "--json"]);
        await Wait.UntilAsync(() => follow.StdoutSoFar.Contains("\"terms\"", StringComparison.Ordinal), TimeSpan.FromSeconds(15), "the terms entry", follow);

        (await RunToEndAsync([.. Budget(kind, 500, 20), "--", .. Child("exit", "0")])).AssertExitCode(0);
        await Wait.UntilAsync(() => follow.StdoutSoFar.Contains("\"settle\"", StringComparison.Ordinal), TimeSpan.FromSeconds(15), "the settle entry", follow);
        follow.Signal(Posix.SIGINT);
        var result = await follow.WaitAsync();

        result.AssertExitCode(0).AssertNoStackTrace();
        var lines = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["terms", "reserve", "settle"], lines.Select(line => JsonDocument.Parse(line).RootElement.GetProperty("kind").GetString()));
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task History_OfAnAccountThatDoesNotExist_Exits66_AndCreatesNoLedgerFile(LedgerKind kind)
    {
        var result = await RunToEndAsync(["history", .. Account(kind)]);

        result.AssertExitCode(66).AssertNoStackTrace();
        // SQLite: the file itself is missing (no run has used the ledger); Redis and PostgreSQL: the account.
        Assert.Contains(kind == LedgerKind.Sqlite ? "does not exist (no budget-run has used it" : $"budget '{Key}' does not exist",
            result.AssertOneStderrLine(), StringComparison.Ordinal);
        Assert.False(File.Exists(Scratch.Path("ledger.db")));
    }

    [Theory]
    [InlineData("--since", "yesterday")]
    [InlineData("--since", "-5h")]
    [InlineData("--until", "2026-13-01")]
    [InlineData("--since", "1h", "--until", "2h")]
    [InlineData("--json", "--csv")]
    [InlineData("--until", "1.5x")]
    public async Task History_WithABadFlag_IsAUsageError_ThatNamesIt(params string[] flags)
    {
        var result = await RunToEndAsync(["history", "--ledger", "sqlite:" + Scratch.Path("ledger.db"), "--budget-key", Key, .. flags]);

        result.AssertExitCode(2).AssertNoStackTrace();
        var line = result.AssertOneStderrLine();
        Assert.Contains(flags[0] == "--since" && flags.Length > 2 ? "--until" : flags[0], line, StringComparison.Ordinal);
        Assert.False(File.Exists(Scratch.Path("ledger.db")));
    }

    [Theory]
    [InlineData("0d")]
    [InlineData("30m")]
    [InlineData("3651d")]
    [InlineData("1.5d")]
    public async Task Run_WithABadHistoryRetention_IsAUsageError_AndStartsNothing(string retention)
    {
        var result = await RunToEndAsync([.. Budget(LedgerKind.Sqlite, 100, 1), "--history-retention", retention, "--",
            .. Child("--count", Scratch.Path("attempts"), "exit", "0")]);

        result.AssertExitCode(2).AssertNoStackTrace();
        Assert.Contains("--history-retention", result.AssertOneStderrLine(), StringComparison.Ordinal);
        Assert.Equal(0, Scratch.Count("attempts"));
    }
}
