using System.Globalization;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// A budget key makes the budget an account that outlives the run: a second run sees the first
/// one's spend, and <c>status</c> shows the account in the vocabulary of issue 11.
/// </summary>
public sealed class PersistenceTests(RedisFixture redis) : LedgerTest(redis), IClassFixture<RedisFixture>
{
    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task SecondRun_SeesTheFirstRunsSpend_AndExits75WhenItsNextAttemptDoesNotFit(LedgerKind kind)
    {
        // First run: two failed attempts of 30 cents each out of 100.
        var first = await RunToEndAsync([.. Budget(kind, 100, 30), "--max-attempts", "2", "--base-delay", "10ms",
            "--", .. Child("--count", Scratch.Path("first"), "exit", "1")]);
        first.AssertExitCode(1).AssertNoStackTrace();
        Assert.Equal(2, Scratch.Count("first"));

        // Second run, same key: 40 remain, so one attempt fits and the next one does not.
        var report = Scratch.Path("second.json");
        var second = await RunToEndAsync([.. Budget(kind, 100, 30), "--max-attempts", "5", "--base-delay", "10ms", "--report", report,
            "--", .. Child("--count", Scratch.Path("second"), "exit", "1")]);
        second.AssertExitCode(75).AssertNoStackTrace();
        Assert.Equal(1, Scratch.Count("second"));
        Assert.Contains("budgetExhausted (exit 75)", LastLine(second), StringComparison.Ordinal);
        var loaded = RunReport.Load(report);
        Assert.Equal("budgetExhausted", loaded.Outcome);
        Assert.Equal(100, loaded.BudgetCents);

        // Third run: 10 remain, the first attempt does not fit, nothing is started.
        var third = await RunToEndAsync([.. Budget(kind, 100, 30), "--", .. Child("--count", Scratch.Path("third"), "exit", "0")]);
        third.AssertExitCode(75).AssertNoStackTrace();
        Assert.Equal(0, Scratch.Count("third"));

        var status = await StatusAsync(kind);
        Assert.Equal(new AccountSnapshot(Key, 100, 90, 0, 10, null, false, null), status);
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task Status_WithoutJson_PrintsTheSameFacts_OnePerLine(LedgerKind kind)
    {
        (await RunToEndAsync([.. Budget(kind, 250, 40), "--", .. Child("exit", "0")])).AssertExitCode(0);
        (await AdministerAsync(kind, "kill", "--reason", "quota review")).AssertExitCode(0);

        var json = await StatusAsync(kind);
        var text = await RunToEndAsync(["status", .. Account(kind)]);

        text.AssertExitCode(0).AssertNoStackTrace();
        Assert.Equal(new AccountSnapshot(Key, 250, 40, 0, 210, null, true, "quota review"), json);
        var lines = text.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Each fact on a line of its own, the number next to its name.
        AssertLine(lines, "key", Key);
        AssertLine(lines, "limit", "250");
        AssertLine(lines, "spent", "40");
        AssertLine(lines, "reserved", "0");
        AssertLine(lines, "remaining", "210");
        AssertLine(lines, "window", "never");
        AssertLine(lines, "kill switch", "engaged");
        AssertLine(lines, "reason", "quota review");
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task Status_OfAnHourlyAccount_ShowsTheWindowsEnd_InUtc(LedgerKind kind)
    {
        var before = NextHour(DateTimeOffset.UtcNow);
        (await RunToEndAsync([.. Budget(kind, 100, 7), "--budget-window", "1h", "--", .. Child("exit", "0")])).AssertExitCode(0);

        var status = await StatusAsync(kind);
        var text = await RunToEndAsync(["status", .. Account(kind)]);
        var after = NextHour(DateTimeOffset.UtcNow);

        Assert.Equal(7, status.SpentCents);
        Assert.NotNull(status.WindowEndsAt);
        Assert.True(status.WindowEndsAt == before || status.WindowEndsAt == after,
            $"windowEndsAt {status.WindowEndsAt:O} is not the end of the current UTC hour ({before:O})");
        text.AssertExitCode(0);
        var end = status.WindowEndsAt.Value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);
        AssertLine(text.StdoutText.Split('\n'), "window", end);
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task Runs_AndSubcommands_TakeTheLedgerAndKey_FromTheEnvironment(LedgerKind kind)
    {
        var environment = new Dictionary<string, string?> { ["BUDGET_RUN_LEDGER"] = Ledger(kind), ["BUDGET_RUN_BUDGET_KEY"] = Key };

        var run = await RunToEndAsync(["--max-cost-cents", "50", "--cost-per-attempt-cents", "20", "--", .. Child("exit", "0")], environment);
        var kill = await RunToEndAsync(["kill", "--reason", "from env"], environment);
        var status = await RunToEndAsync(["status", "--json"], environment);
        var resume = await RunToEndAsync(["resume"], environment);

        run.AssertExitCode(0);
        kill.AssertExitCode(0);
        status.AssertExitCode(0);
        resume.AssertExitCode(0);
        Assert.Equal(new AccountSnapshot(Key, 50, 20, 0, 30, null, true, "from env"), AccountSnapshot.Parse(status.StdoutText, exactly: true));
        Assert.Equal(new AccountSnapshot(Key, 50, 20, 0, 30, null, false, null), await StatusAsync(kind));
    }

    [Fact]
    public async Task WithoutLedger_TheAccountLives_InXdgStateHome()
    {
        (await RunToEndAsync(["--budget-key", Key, "--max-cost-cents", "100", "--cost-per-attempt-cents", "12", "--", .. Child("exit", "0")]))
            .AssertExitCode(0);
        var byDefault = await RunToEndAsync(["status", "--budget-key", Key, "--json"]);
        var named = await RunToEndAsync(["status", "--ledger", "sqlite:" + DefaultLedgerFile, "--budget-key", Key, "--json"]);

        Assert.True(File.Exists(DefaultLedgerFile), $"no ledger at {DefaultLedgerFile}");
        Assert.Equal(12, AccountSnapshot.Parse(byDefault.AssertExitCode(0).StdoutText, exactly: true).SpentCents);
        Assert.Equal(12, AccountSnapshot.Parse(named.AssertExitCode(0).StdoutText, exactly: true).SpentCents);
    }

    private static DateTimeOffset NextHour(DateTimeOffset now) =>
        new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero).AddHours(1);

    private static void AssertLine(IEnumerable<string> lines, string name, string value)
    {
        var all = lines.ToList();
        Assert.True(all.Any(line => line.Contains(name, StringComparison.OrdinalIgnoreCase) && line.Contains(value, StringComparison.Ordinal)),
            $"no line with '{name}' and '{value}' in:\n{string.Join('\n', all)}");
    }
}
