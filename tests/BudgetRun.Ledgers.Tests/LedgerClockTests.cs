using BudgetRun.Engine.Budget;
using BudgetRun.Ledgers.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace BudgetRun.Ledgers.Tests;

/// <summary>
/// Windows and expiry on the ledger's clock: a process whose own clock is off from the store's
/// (<see cref="FakeStore.LedgerClockMs"/>) charges the window the ledger is in, measured at open
/// and again by every reservation, and the store's refusal of a window it is not in is retried on
/// the store's time. The real stores' side (Redis TIME, PostgreSQL clock_timestamp()) is the
/// contract suite's <c>LedgerContractTests.Clock</c>.
/// </summary>
public sealed class LedgerClockTests
{
    /// <summary>A day window in UTC, and this process's clock a little before the ledger's midnight.</summary>
    private static readonly DateTimeOffset _ledgerNow = new(2026, 12, 1, 0, 0, 5, TimeSpan.Zero);

    private FakeTimeProvider _local = new(_ledgerNow.AddSeconds(-10)); // 23:59:55 the day before
    private readonly FakeStore _store = new();

    private AccountLedger Ledger(BudgetWindow window) =>
        new(_store, new LedgerAccount("team/openai", 100, window), new RunIdentity("run-1", 42, "host"), new LedgerOptions(), _local);

    [Theory]
    [InlineData(-10_000)] // this process is behind the ledger (and across midnight)
    [InlineData(10_000)]  // ahead of it
    [InlineData(-86_400_000 * 3L)] // days off
    [InlineData(0)]
    public async Task SyncClock_TakesTheLedgersTime_ForTheWindowAndTheExpiry(long localMinusLedgerMs)
    {
        _local = new FakeTimeProvider(_ledgerNow.AddMilliseconds(localMinusLedgerMs));
        _store.LedgerClockMs = () => _local.GetUtcNow().AddMilliseconds(-localMinusLedgerMs).ToUnixTimeMilliseconds();
        await using var ledger = Ledger(BudgetWindow.FromCalendar(CalendarUnit.Day));

        await ledger.SyncClockAsync(default);
        Assert.Equal(-localMinusLedgerMs, ledger.ClockOffsetMs);
        Assert.NotNull(await ((IBudgetLedger)ledger).TryReserveAsync(30, default));

        var request = Assert.Single(_store.Requests.OfType<ReserveRequest>()); // no refusal: the first try was right
        Assert.Equal("day@UTC:2026-12-01", request.Leaf.Bucket);
        Assert.Equal(_ledgerNow.ToUnixTimeMilliseconds(), request.NowMs);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), request.Leaf.StartMs);
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), request.Leaf.EndMs);
    }

    [Fact]
    public async Task Reserve_OutsideTheLedgersWindow_IsRetriedOnTheLedgersTime()
    {
        var ledgerMs = _ledgerNow.ToUnixTimeMilliseconds();
        _store.LedgerClockMs = () => ledgerMs;
        await using var ledger = Ledger(BudgetWindow.FromCalendar(CalendarUnit.Day)); // not synced: this process thinks it is yesterday

        Assert.NotNull(await ((IBudgetLedger)ledger).TryReserveAsync(30, default));

        var requests = _store.Requests.OfType<ReserveRequest>().ToArray();
        Assert.Equal(["day@UTC:2026-11-30", "day@UTC:2026-12-01"], requests.Select(r => r.Leaf.Bucket));
        Assert.Equal(requests[0].Id, requests[1].Id); // one reservation, asked twice
        Assert.Equal(10_000, ledger.ClockOffsetMs);
    }

    [Fact]
    public async Task Reserve_WhenTheLedgersClockKeepsLeavingTheWindow_FailsClosed()
    {
        var jump = 0L;
        _store.LedgerClockMs = () => _ledgerNow.ToUnixTimeMilliseconds() + (jump += 86_400_000); // a day further at every look
        await using var ledger = Ledger(BudgetWindow.FromCalendar(CalendarUnit.Day));

        var error = await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await ((IBudgetLedger)ledger).TryReserveAsync(30, default));

        Assert.Contains("the ledger's clock kept leaving the window", error.Message, StringComparison.Ordinal);
        Assert.Equal(5, _store.Requests.OfType<ReserveRequest>().Count());
    }

    [Fact]
    public async Task StoreWithoutAClock_KeepsThisProcessesTime()
    {
        await using var ledger = Ledger(BudgetWindow.FromSeconds(3600));

        await ledger.SyncClockAsync(default);
        Assert.NotNull(await ((IBudgetLedger)ledger).TryReserveAsync(30, default));

        Assert.Equal(0, ledger.ClockOffsetMs);
        Assert.Equal(_local.GetUtcNow().ToUnixTimeMilliseconds(), Assert.Single(_store.Requests.OfType<ReserveRequest>()).NowMs);
    }

    [Fact]
    public void Offset_IsMeasuredFromTheMiddleOfTheRoundTrip()
    {
        var clock = new LedgerClock(_local);

        clock.Observe(ledgerNowMs: 10_050, sentAtMs: 1_000, answeredAtMs: 1_100);

        Assert.Equal(9_000, clock.OffsetMs);
        Assert.Equal(_local.GetUtcNow().AddMilliseconds(9_000), clock.GetUtcNow());
        Assert.Equal(_local.GetTimestamp(), clock.GetTimestamp()); // timers and timestamps stay the injected clock's
    }

    [Fact]
    public void LevelWithoutABucket_IsInEveryWindow()
    {
        Assert.True(new LevelBucket("acme", null, 0, 10, 20).Contains(5));
        Assert.True(new LevelBucket("acme", "b", 1, 10, 20).Contains(10));
        Assert.False(new LevelBucket("acme", "b", 1, 10, 20).Contains(20));
        Assert.True(new LevelBucket("acme", "all", 1).Contains(long.MinValue + 1));
    }
}
