using System.Text.Json;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// <c>budget set|show|list</c>, and what the administering subcommands say about an account that does
/// not exist: kill engages it but warns, status, resume and show exit 66, and no read creates a file.
/// </summary>
public sealed class BudgetCommandTests(RedisFixture redis) : LedgerTest(redis), IClassFixture<RedisFixture>
{
    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task Set_ThenShow_PrintTheTerms_AndARunUsesThem(LedgerKind kind)
    {
        var set = await RunToEndAsync(["budget", "set", .. Account(kind), "--max-cost-cents", "80", "--budget-window", "day", "--timezone", "Europe/Berlin"]);
        set.AssertExitCode(0).AssertNoStackTrace();
        Assert.Contains("new account", set.StdoutText, StringComparison.Ordinal);

        (await RunToEndAsync([.. Account(kind), "--cost-per-attempt-cents", "30", "--", .. Child("exit", "0")])).AssertExitCode(0);
        var shown = await RunToEndAsync(["budget", "show", "--ledger", Ledger(kind), Key, "--json"]); // the key as an argument

        shown.AssertExitCode(0).AssertNoStackTrace();
        using var json = JsonDocument.Parse(shown.StdoutText);
        var root = json.RootElement;
        Assert.Equal((Key, 80L, "day", "Europe/Berlin", 30L, 50L),
            (root.GetProperty("budgetKey").GetString(), root.GetProperty("budgetCents").GetInt64(), root.GetProperty("window").GetString(),
             root.GetProperty("timeZone").GetString(), root.GetProperty("spentCents").GetInt64(), root.GetProperty("remainingCents").GetInt64()));
        var ends = DateTimeOffset.Parse(root.GetProperty("windowEndsAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var endLocal = TimeZoneInfo.ConvertTime(ends, berlin);
        Assert.Equal(TimeSpan.Zero, endLocal.TimeOfDay); // local midnight in Berlin
        Assert.InRange(ends - DateTimeOffset.UtcNow, TimeSpan.Zero, TimeSpan.FromHours(25));

        var again = await RunToEndAsync(["budget", "set", .. Account(kind), "--max-cost-cents", "120"]);
        again.AssertExitCode(0);
        Assert.Contains("was 80 cents per window day in Europe/Berlin", again.StdoutText, StringComparison.Ordinal);
        var text = await RunToEndAsync(["budget", "show", .. Account(kind)]);
        Assert.Contains("day in Europe/Berlin", text.AssertExitCode(0).StdoutText, StringComparison.Ordinal); // the window and zone were kept
        Assert.Equal(120, (await StatusAsync(kind)).BudgetCents);
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task List_ShowsTheAccountsWithThePrefix(LedgerKind kind)
    {
        (await RunToEndAsync(["budget", "set", .. Account(kind, Key + "/b"), "--max-cost-cents", "20", "--budget-window", "1h"])).AssertExitCode(0);
        (await RunToEndAsync([.. Account(kind, Key + "/a"), "--max-cost-cents", "10", "--", .. Child("exit", "0")])).AssertExitCode(0);

        var listed = await RunToEndAsync(["budget", "list", "--ledger", Ledger(kind), "--prefix", Key + "/", "--json"]);

        listed.AssertExitCode(0).AssertNoStackTrace();
        using var json = JsonDocument.Parse(listed.StdoutText);
        var entries = json.RootElement.EnumerateArray()
            .Select(entry => (entry.GetProperty("budgetKey").GetString(), entry.GetProperty("budgetCents").GetInt64(), entry.GetProperty("window").GetString()))
            .ToList();
        Assert.Equal([(Key + "/a", 10L, "none"), (Key + "/b", 20L, "1h")], entries);
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task Kill_OfATypoedKey_EngagesIt_ButWarnsThatNoRunHasUsedIt(LedgerKind kind)
    {
        (await RunToEndAsync([.. Budget(kind, 100, 10), "--", .. Child("exit", "0")])).AssertExitCode(0);

        var typo = await RunToEndAsync(["kill", .. Account(kind, Key + "-btach"), "--reason", "INC-9"]);

        typo.AssertExitCode(0).AssertNoStackTrace();
        Assert.Contains("kill switch engaged", typo.StdoutText, StringComparison.Ordinal);
        var warning = Assert.Single(typo.StderrLines);
        Assert.Contains("warning: no run has used budget", warning, StringComparison.Ordinal);
        Assert.Contains(Key + "-btach", warning, StringComparison.Ordinal);
        var known = await RunToEndAsync(["kill", .. Account(kind)]);
        Assert.Empty(known.AssertExitCode(0).StderrLines); // a real account: no warning
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite, "status")]
    [InlineData(LedgerKind.Redis, "status")]
    [InlineData(LedgerKind.Sqlite, "resume")]
    [InlineData(LedgerKind.Redis, "resume")]
    [InlineData(LedgerKind.Postgres, "status")]
    [InlineData(LedgerKind.Postgres, "resume")]
    public async Task StatusAndResume_OfAnUnknownAccount_Exit66_SayingSo(LedgerKind kind, string subcommand)
    {
        (await RunToEndAsync([.. Budget(kind, 100, 10), "--", .. Child("exit", "0")])).AssertExitCode(0); // the ledger exists

        var result = await RunToEndAsync([subcommand, .. Account(kind, Key + "-nope")]);
        var show = await RunToEndAsync(["budget", "show", .. Account(kind, Key + "-nope")]);

        result.AssertExitCode(66).AssertNoStackTrace();
        Assert.Contains($"budget '{Key}-nope' does not exist", result.AssertOneStderrLine(), StringComparison.Ordinal);
        show.AssertExitCode(66);
        Assert.Contains("does not exist", show.AssertOneStderrLine(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("resume")]
    public async Task ReadingAMissingSqliteLedger_CreatesNoFile(string subcommand)
    {
        var path = Scratch.Path("typo/ledger.db");

        var result = await RunToEndAsync([subcommand, "--ledger", "sqlite:" + path, "--budget-key", Key]);
        var show = await RunToEndAsync(["budget", "show", "--ledger", "sqlite:" + path, "--budget-key", Key]);
        var list = await RunToEndAsync(["budget", "list", "--ledger", "sqlite:" + path]);

        result.AssertExitCode(66).AssertNoStackTrace();
        Assert.Contains($"ledger sqlite:{path} does not exist", result.AssertOneStderrLine(), StringComparison.Ordinal);
        show.AssertExitCode(66);
        list.AssertExitCode(0);
        Assert.Equal("", list.StdoutText);
        Assert.Contains("does not exist", list.AssertOneStderrLine(), StringComparison.Ordinal);
        Assert.False(File.Exists(path));
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
    }

    [Theory]
    [InlineData("--timezone", "Mars/Olympus_Mons", "not a time zone")]
    [InlineData("--budget-window", "fortnight", "not a window")]
    public async Task Set_WithABadValue_IsAUsageError_AndWritesNothing(string flag, string value, string message)
    {
        string[] window = flag == "--timezone" ? ["--budget-window", "day"] : [];
        var result = await RunToEndAsync(["budget", "set", .. Account(LedgerKind.Sqlite), "--max-cost-cents", "5", .. window, flag, value]);

        result.AssertExitCode(2);
        Assert.Contains(message, result.AssertOneStderrLine(), StringComparison.Ordinal);
        Assert.False(File.Exists(Scratch.Path("ledger.db")));
    }

    [Fact]
    public async Task Set_WithATimezone_ForAFixedWindow_IsAUsageError()
    {
        var result = await RunToEndAsync(["budget", "set", .. Account(LedgerKind.Sqlite), "--max-cost-cents", "5", "--budget-window", "7d", "--timezone", "Europe/Berlin"]);

        result.AssertExitCode(2);
        Assert.Contains("epoch", result.AssertOneStderrLine(), StringComparison.Ordinal);
    }
}
