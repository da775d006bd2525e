namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// An account has one limit and one window, stored with it: a run creates a missing account from its
/// flags and otherwise never changes it; the run's --max-cost-cents is only its own cap inside it.
/// </summary>
public sealed class AccountTermsTests(RedisFixture redis) : LedgerTest(redis), IClassFixture<RedisFixture>
{
    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task FourRuns_WithFourWindows_OnOneKey_SpendAtMostTheAccountsFiftyCents(LedgerKind kind)
    {
        // The example: each run used to spend 50 cents in a bucket of its own window.
        var results = new List<ProcessResult>();
        foreach (var window in new[] { null, "1h", "24h", "2h" })
        {
            string[] windowFlag = window is null ? [] : ["--budget-window", window];
            results.Add(await RunToEndAsync([.. Budget(kind, 50, 50), .. windowFlag, "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")]));
        }

        results[0].AssertExitCode(0).AssertNoStackTrace();
        foreach (var later in results.Skip(1))
        {
            later.AssertExitCode(75).AssertNoStackTrace();
            Assert.Contains(later.StderrLines, line => line.Contains("--budget-window", StringComparison.Ordinal)
                && line.Contains("the account's window applies", StringComparison.Ordinal));
        }
        Assert.Equal(1, Scratch.Count("attempts"));
        Assert.Equal(new AccountSnapshot(Key, 50, 50, 0, 0, null, false, null), await StatusAsync(kind));
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task ARun_NeverChangesAnExistingAccountsLimit_AndOneWarningNamesBoth(LedgerKind kind)
    {
        (await RunToEndAsync([.. Budget(kind, 50, 10), "--", .. Child("exit", "0")])).AssertExitCode(0);

        var raising = await RunToEndAsync([.. Budget(kind, 500, 10), "--", .. Child("exit", "0")]);
        var lowering = await RunToEndAsync([.. Budget(kind, 5, 10), "--", .. Child("--count", Scratch.Path("lowered"), "exit", "0")]);
        var defaulted = await RunToEndAsync([.. Account(kind), "--cost-per-attempt-cents", "10", "--", .. Child("exit", "0")]);

        raising.AssertExitCode(0).AssertNoStackTrace();
        var warning = Assert.Single(raising.StderrLines, line => line.Contains("--max-cost-cents", StringComparison.Ordinal));
        Assert.Contains("500", warning, StringComparison.Ordinal);
        Assert.Contains("50 cents", warning, StringComparison.Ordinal);
        lowering.AssertExitCode(75); // its own cap of 5 cannot pay a 10-cent attempt
        Assert.Equal(0, Scratch.Count("lowered"));
        defaulted.AssertExitCode(0);
        Assert.DoesNotContain(defaulted.StderrLines, line => line.Contains("--max-cost-cents", StringComparison.Ordinal));
        Assert.Equal(new AccountSnapshot(Key, 50, 30, 0, 20, null, false, null), await StatusAsync(kind));
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task PerRunCap_AndAccountLimit_BothHold(LedgerKind kind)
    {
        (await RunToEndAsync(["budget", "set", .. Account(kind), "--max-cost-cents", "100"])).AssertExitCode(0);

        // The run's cap decides: 30 of the account's 100 pay one 20-cent attempt.
        var capped = await RunToEndAsync([.. Budget(kind, 30, 20), "--max-attempts", "5", "--base-delay", "10ms",
            "--", .. Child("--count", Scratch.Path("capped"), "exit", "1")]);
        capped.AssertExitCode(75).AssertNoStackTrace();
        Assert.Equal(1, Scratch.Count("capped"));
        Assert.Contains("of 30 remain", LastLine(capped), StringComparison.Ordinal);

        // The account decides: 80 remain of 100, so a run capped at 1000 gets four attempts.
        var shared = await RunToEndAsync([.. Budget(kind, 1000, 20), "--max-attempts", "9", "--base-delay", "10ms",
            "--", .. Child("--count", Scratch.Path("shared"), "exit", "1")]);
        shared.AssertExitCode(75).AssertNoStackTrace();
        Assert.Equal(4, Scratch.Count("shared"));
        Assert.Contains("of 100 remain", LastLine(shared), StringComparison.Ordinal);
        Assert.Equal(new AccountSnapshot(Key, 100, 100, 0, 0, null, false, null), await StatusAsync(kind));
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task RequireAccount_OnAMissingAccount_Exits66_StartsNothing_AndCreatesNothing(LedgerKind kind)
    {
        var refused = await RunToEndAsync([.. Budget(kind, 50, 10), "--require-account", "--", .. Child("--count", Scratch.Path("n"), "exit", "0")]);

        refused.AssertExitCode(66).AssertNoStackTrace();
        var line = refused.AssertOneStderrLine();
        Assert.Contains($"budget '{Key}' does not exist", line, StringComparison.Ordinal);
        Assert.Contains("--require-account", line, StringComparison.Ordinal);
        Assert.Equal(0, Scratch.Count("n"));
        (await RunToEndAsync(["status", .. Account(kind)])).AssertExitCode(66);

        (await RunToEndAsync(["budget", "set", .. Account(kind), "--max-cost-cents", "20"])).AssertExitCode(0);
        (await RunToEndAsync([.. Budget(kind, 50, 10), "--require-account", "--", .. Child("exit", "0")])).AssertExitCode(0);
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task RunsCreatingOneAccountAtOnce_EndWithOneAccount(LedgerKind kind)
    {
        var runs = Enumerable.Range(1, 4)
            .Select(i => RunToEndAsync([.. Budget(kind, 30 + (i * 10), 10), "--", .. Child("exit", "0")]))
            .ToList();
        var results = await Task.WhenAll(runs);

        Assert.All(results, result => result.AssertExitCode(0));
        var created = results.Count(result => result.StderrLines.Any(line => line.Contains("created", StringComparison.Ordinal)));
        Assert.Equal(1, created);
        var status = await StatusAsync(kind);
        Assert.Contains(status.BudgetCents!.Value, new long[] { 40, 50, 60, 70 });
        Assert.Equal(40, status.SpentCents);
    }
}
