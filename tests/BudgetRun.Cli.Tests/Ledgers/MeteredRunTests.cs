using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// Metered attempts with real processes and real accounts (SQLite, Redis, PostgreSQL), on second-long slices at a cent a
/// second (<c>--cost-per-minute-cents 60 --meter-slice 1s</c>): an attempt is charged for the time it
/// ran, one whose next slice does not fit is stopped by the meter (exit 75), and metered runs sharing
/// an account never spend more than its limit.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class MeteredRunTests(RedisFixture redis) : LedgerTest(redis), IClassFixture<RedisFixture>
{
    private static readonly string[] _centASecond = ["--cost-per-minute-cents", "60", "--meter-slice", "1s", "--kill-grace", "200ms"];

    [Fact]
    public async Task AnAttemptThatEnds_IsChargedThePerAttemptPricePlusItsTime_RoundedUp()
    {
        var report = Scratch.Path("report.json");

        var run = await RunToEndAsync([.. Account(LedgerKind.Sqlite), "--max-cost-cents", "100", "--cost-per-attempt-cents", "5", .. _centASecond,
            "--max-attempts", "1", "--report", report, "--", "sleep", "2.2"]);

        run.AssertExitCode(0).AssertNoStackTrace();
        var attempt = Assert.Single(RunReport.Load(report).Attempts);
        var ranMs = attempt.GetProperty("durationMs").GetInt64();
        var charged = attempt.GetProperty("costCents").GetInt64();
        // 5 for the attempt and a cent for each second begun (durationMs is rounded: allow its last millisecond).
        Assert.Contains(charged, new[] { 5 + CeilingSeconds(ranMs), 5 + CeilingSeconds(ranMs + 1) });
        Assert.InRange(charged, 5 + 3, 5 + 5); // 2.2 s of sleep: at least 3 slices begun, a busy machine may add one
        var account = await StatusAsync(LedgerKind.Sqlite);
        Assert.Equal((charged, 0L), (account.SpentCents, account.ReservedCents)); // the rest of the last slice went back
    }

    [Fact]
    public async Task AnAttemptWhoseNextSliceDoesNotFit_IsStoppedByTheMeter_AndTheRunEnds75()
    {
        var report = Scratch.Path("report.json");

        var run = await RunToEndAsync([.. Account(LedgerKind.Sqlite), "--max-cost-cents", "4", .. _centASecond,
            "--max-attempts", "3", "--report", report, "--", "sleep", "60"], timeout: TimeSpan.FromSeconds(30));

        run.AssertExitCode(75).AssertNoStackTrace();
        Assert.Contains("the meter stopped attempt 1", LastLine(run), StringComparison.Ordinal);
        var document = RunReport.Load(report);
        Assert.Equal("budgetExhausted", document.Outcome);
        var attempt = Assert.Single(document.Attempts); // no second attempt: nothing is left for its first slice
        Assert.Equal("killed", attempt.GetProperty("outcome").GetString());
        Assert.True(attempt.GetProperty("durationMs").GetInt64() <= 4_000, $"the attempt ran past the 4 paid seconds\n{document.Json}");
        var account = await StatusAsync(LedgerKind.Sqlite);
        Assert.InRange(account.SpentCents, 3, 4);
        Assert.Equal(0, account.ReservedCents);
    }

    /// <summary>
    /// The race: fifty metered runs on one account of 30 cents, every slice a cent a second, all
    /// started together; each is stopped by the meter when the account runs dry. Together they never
    /// spend more than the limit, nothing stays reserved, and what their reports say they spent is
    /// what the ledger recorded. On every ledger.
    /// </summary>
    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task FiftyMeteredRuns_SharingAnAccount_NeverSpendMoreThanItsLimit(LedgerKind kind)
    {
        const int Runs = 50;
        (await RunToEndAsync(["budget", "set", .. Account(kind), "--max-cost-cents", "30"])).AssertExitCode(0);

        var runs = Enumerable.Range(0, Runs).Select(i => Launch(
            // Fifty processes starting on two cores: a generous --ledger-timeout, so that the machine's
            // load is not mistaken for an unreachable ledger (which would fail closed, exit 69).
            [.. Account(kind), "--max-cost-cents", "30", .. _centASecond, "--max-attempts", "2", "--base-delay", "10ms", "--ledger-timeout", "60s",
                "--report", Scratch.Path($"report-{i}.json"), "--", "sleep", "60"],
            timeout: TimeSpan.FromMinutes(2))).ToList();
        ProcessResult[] results;
        try
        {
            results = await Task.WhenAll(runs.Select(run => run.WaitAsync()));
        }
        finally
        {
            runs.ForEach(run => run.Dispose());
        }

        Assert.All(results, result => result.AssertExitCode(75).AssertNoStackTrace());
        var account = await StatusAsync(kind);
        Assert.InRange(account.SpentCents, 1, 30); // together never past the limit
        Assert.Equal(0, account.ReservedCents);
        var reported = Enumerable.Range(0, Runs).Sum(i => RunReport.Load(Scratch.Path($"report-{i}.json")).CostCents);
        Assert.Equal(account.SpentCents, reported);
    }

    [Theory]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task OnEveryLedger_AnAttemptWhoseNextSliceDoesNotFit_IsStoppedByTheMeter(LedgerKind kind)
    {
        var run = await RunToEndAsync([.. Account(kind), "--max-cost-cents", "3", .. _centASecond,
            "--max-attempts", "3", "--", "sleep", "60"], timeout: TimeSpan.FromSeconds(30));

        run.AssertExitCode(75).AssertNoStackTrace();
        Assert.Contains("the meter stopped attempt 1", LastLine(run), StringComparison.Ordinal);
        var account = await StatusAsync(kind);
        Assert.InRange(account.SpentCents, 2, 3);
        Assert.Equal(0, account.ReservedCents);
    }

    /// <summary>
    /// A supervisor SIGKILLed mid-attempt cannot settle: its reservations (the slices it holds
    /// ahead) expire after --reservation-ttl and are charged in full, which is at most one slice
    /// beyond the time that ran, as the child died with budget-run (parent-death signal).
    /// </summary>
    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task ASigkilledSupervisor_IsChargedAtMostOneSliceBeyondWhatRan(LedgerKind kind)
    {
        const long SliceCents = 2; // 2-second slices at a cent a second
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var run = Launch([.. Account(kind), "--max-cost-cents", "100", "--cost-per-minute-cents", "60", "--meter-slice", "2s",
            "--kill-grace", "200ms", "--reservation-ttl", "4s", "--max-attempts", "1",
            "--", "sh", "-c", "echo $$ > \"$0\"; exec sleep 60", Scratch.Path("child.pid")]);
        var child = await Wait.ForPidAsync(Scratch.Path("child.pid"), run);
        await Task.Delay(TimeSpan.FromSeconds(3)); // past the second slice, reserved at 1.5 s
        var held = (await StatusAsync(kind)).ReservedCents;
        run.Signal(Posix.SIGKILL);
        var ran = clock.Elapsed; // the child dies with budget-run: no more than this ran
        await run.WaitAsync();
        Assert.True(await Wait.ForDeathAsync(child, TimeSpan.FromSeconds(5)), "the child outlived its SIGKILLed supervisor");

        await Task.Delay(TimeSpan.FromSeconds(4)); // the reservations' TTL passes (the TTL is longer than the 3 s the run held them)
        (await RunToEndAsync([.. Account(kind), "--max-attempts", "1", "--", "true"])).AssertExitCode(0); // a write expires them
        var account = await StatusAsync(kind);

        Assert.InRange(held, 2 * SliceCents, 3 * SliceCents);
        // Charged in full for what it held, nothing left held. A top-up can land between the read of
        // `held` and the SIGKILL (on a loaded machine the 3 s wait runs late, toward the next slice's
        // top-up); not re-read after the death: a status leaves out reservations past their TTL.
        Assert.Equal(0L, account.ReservedCents);
        Assert.True(account.SpentCents == held || account.SpentCents == held + SliceCents,
            $"held {held} cents before the SIGKILL, charged {account.SpentCents}: not what it held, nor one top-up more");
        Assert.True(account.SpentCents <= (long)Math.Ceiling(ran.TotalSeconds) + SliceCents,
            $"charged {account.SpentCents} cents for at most {ran.TotalSeconds:0.0} s of runtime: more than one slice beyond it");
    }

    private static long CeilingSeconds(long milliseconds) => (milliseconds + 999) / 1000;
}
