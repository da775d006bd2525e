using System.Globalization;
using System.Text.Json;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// Two real budget-run processes whose clocks disagree (libfaketime preloaded into one: its clock
/// is a day ahead or behind, so the windows they would compute differ whatever the time of the
/// test) share one Redis or PostgreSQL account with a <c>day</c> window: the ledger's clock
/// (Redis's <c>TIME</c>, PostgreSQL's <c>clock_timestamp()</c>) decides, so they
/// charge one window, and the skewed one neither escapes the limit nor expires the other's
/// reservation. Needs Debian's <c>faketime</c> package (eng/install-deps.sh installs it).
/// </summary>
public sealed class SkewedClockTests(RedisFixture redis) : LedgerTest(redis), IClassFixture<RedisFixture>
{
    private static Dictionary<string, string?> Skewed(string offset) => FakeTime.Environment(offset);

    [Theory]
    [InlineData(LedgerKind.Redis, "+1d")]
    [InlineData(LedgerKind.Redis, "-1d")]
    [InlineData(LedgerKind.Postgres, "+1d")]
    [InlineData(LedgerKind.Postgres, "-1d")]
    public async Task RunWithASkewedClock_SpendsFromTheSameWindow_AndIsRefusedWhatTheOtherSpent(LedgerKind kind, string offset)
    {
        (await RunToEndAsync(["budget", "set", .. Account(kind), "--max-cost-cents", "100", "--budget-window", "day"])).AssertExitCode(0);
        var clock = await RunToEndAsync(["--max-attempts", "1", "--", "date", "-u", "+%F"], Skewed(offset));
        Assert.NotEqual(DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), clock.AssertExitCode(0).StdoutText.Trim()); // the skew is real

        (await RunToEndAsync([.. Budget(kind, 100, 60), "--", .. Child("exit", "0")])).AssertExitCode(0);
        var skewed = await RunToEndAsync([.. Budget(kind, 100, 60), "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")],
            Skewed(offset));

        skewed.AssertExitCode(75).AssertNoStackTrace(); // 40 of 100 remain in the ledger's day: the second 60 never started
        Assert.Equal(0, Scratch.Count("attempts"));
        var status = await StatusAsync(kind);
        Assert.Equal((60L, 0L, 40L), (status.SpentCents, status.ReservedCents, status.RemainingCents!.Value));
        Assert.Equal(status.WindowEndsAt, (await StatusAsync(kind, environment: Skewed(offset))).WindowEndsAt);
    }

    [Theory]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task RunWithAClockADayAhead_LeavesTheOtherRunsReservationOpen(LedgerKind kind)
    {
        using var holder = Launch([.. Budget(kind, 100, 30), "--reservation-ttl", "10m", "--",
            .. Child("--pid-file", Scratch.Path("child.pid"), "exit-when", Scratch.Path("done"), "0")]);
        await Wait.ForPidAsync(Scratch.Path("child.pid"), holder);

        // Its reservation runs the store's expiry: by its own clock the holder's expired a day ago.
        (await RunToEndAsync([.. Budget(kind, 100, 20), "--", .. Child("exit", "0")], Skewed("+1d"))).AssertExitCode(0);

        var during = await StatusAsync(kind);
        Assert.Equal((20L, 30L), (during.SpentCents, during.ReservedCents));
        await File.WriteAllTextAsync(Scratch.Path("done"), "");
        (await holder.WaitAsync()).AssertExitCode(0);
        var after = await StatusAsync(kind);
        Assert.Equal((50L, 0L), (after.SpentCents, after.ReservedCents)); // each charged once, by its settle
        var history = await RunToEndAsync(["history", .. Account(kind), "--json"]);
        using var json = JsonDocument.Parse(history.AssertExitCode(0).StdoutText);
        Assert.DoesNotContain("expire", json.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("kind").GetString()));
    }
}
