using System.Diagnostics;
using System.Globalization;
using BudgetRun.Resilience.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Resilience.Tests.Faults;

/// <summary>
/// Fault: budget-run itself is SIGKILLed in the middle of an attempt, then started again with the
/// same --budget-key. Promise: the interrupted attempt's reservation still counts (reserved, then
/// spent once --reservation-ttl has passed), the account is never spent past its limit, and the
/// orphaned child does not run on: it gets SIGKILL as its parent-death signal (PR_SET_PDEATHSIG,
/// armed by the native spawn helper before exec), so it is dead right after budget-run.
/// </summary>
public sealed class SupervisorCrashTests(ITestOutputHelper output) : ResilienceTest
{
    private const long Limit = 100;
    private const long Cost = 40;
    private static readonly TimeSpan _ttl = TimeSpan.FromSeconds(2);

    [Theory]
    [InlineData("sqlite")]
    [InlineData("redis")]
    public async Task SupervisorSigkilledMidAttempt_ReservationStillCounts_NeverOverspent_ChildDoesNotRunOn(string kind)
    {
        await using var redis = kind == "redis" ? await RedisServer.StartAsync() : null;
        var ledger = redis?.Uri ?? "sqlite:" + Scratch.Path("ledger.db");
        var key = $"crash/{kind}-{Guid.NewGuid():N}";
        string[] account = ["--ledger", ledger, "--budget-key", key, "--max-cost-cents", Cents(Limit),
            "--cost-per-attempt-cents", Cents(Cost), "--reservation-ttl", "2s"];

        // First run: its attempt holds a 40-cent reservation when budget-run is SIGKILLed.
        using var first = Launch([.. account, "--max-attempts", "1", "--", .. Child("--pid-file", Scratch.Path("child.pid"), "sleep", "600000")]);
        var child = await Wait.ForPidAsync(Scratch.Path("child.pid"), first);
        var reservedAt = Stopwatch.StartNew();
        Assert.Equal(new LedgerTotals(0, Cost, Limit - Cost, false), await LedgerStatusAsync(ledger, key));

        Assert.True(Posix.Kill(first.Pid, Posix.SIGKILL));
        var childDied = await Wait.ForDeathAsync(child, TimeSpan.FromSeconds(1));
        var crashed = await first.WaitAsync();
        var afterCrash = await LedgerStatusAsync(ledger, key);

        Assert.Equal(128 + Posix.SIGKILL, crashed.ExitCode);
        Assert.True(childDied, $"the child {child} ({Posix.Stat(child)}) still runs 1 s after budget-run was SIGKILLed");
        Assert.Equal(new LedgerTotals(0, Cost, Limit - Cost, false), afterCrash); // the dead run's reservation still counts

        // Second run, same key, at once: 60 cents remain, so one attempt fits and the next does not.
        var report = Scratch.Path("second.json");
        var second = await RunToEndAsync([.. account, "--max-attempts", "5", "--base-delay", "10ms", "--report", report,
            "--", .. Child("--count", Scratch.Path("second"), "exit", "1")]);
        var afterSecond = await LedgerStatusAsync(ledger, key);

        second.AssertExitCode(75).AssertNoStackTrace();
        Assert.Equal(1, Scratch.Count("second"));
        Assert.Equal(Cost, RunReport.Load(report).Attempts.Sum(attempt => RunReport.Load(report).Number(attempt, "costCents")));
        Assert.True(afterSecond.SpentCents + afterSecond.ReservedCents == 2 * Cost, $"after the second run: {afterSecond}");

        // Once the TTL has passed, the dead run's reservation is spent in full, and nothing more fits.
        var left = _ttl + TimeSpan.FromMilliseconds(300) - reservedAt.Elapsed;
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left);
        }
        var expired = await LedgerStatusAsync(ledger, key);
        var third = await RunToEndAsync([.. account, "--", .. Child("--count", Scratch.Path("third"), "exit", "0")]);
        var final = await LedgerStatusAsync(ledger, key);

        output.WriteLine($"{kind}: during the crashed attempt {afterCrash}; after the second run {afterSecond}; after the TTL {expired}; final {final}");
        Assert.Equal(new LedgerTotals(2 * Cost, 0, Limit - 2 * Cost, false), expired);
        third.AssertExitCode(75);
        Assert.Equal(0, Scratch.Count("third"));
        Assert.Equal(expired, final);
        Assert.True(final.SpentCents <= Limit);

        if (kind == "sqlite")
        {
            // The ledger records which run made the reservation that was never settled.
            var rows = await SqliteProbe.QueryAsync(Scratch.Path("ledger.db"), "SELECT pid, cents, settled_cents FROM reservations ORDER BY created_at");
            Assert.Equal($"{first.Pid}|{Cost}|", rows[0]);
        }
    }

    private static string Cents(long cents) => cents.ToString(CultureInfo.InvariantCulture);
}
