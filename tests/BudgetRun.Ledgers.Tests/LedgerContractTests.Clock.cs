using BudgetRun.Ledgers.Tests.Infrastructure;

namespace BudgetRun.Ledgers.Tests;

/// <summary>
/// The ledger's clock decides windows and expiry: processes whose clocks are off from each other
/// (here by a day, so that the windows they would compute differ whatever the time of the test)
/// share the window the store is in, and none expires another's reservation early. SQLite keeps
/// the client's time (one machine, one clock: processes on it cannot disagree), and the same tests
/// pin that documented difference.
/// </summary>
public abstract partial class LedgerContractTests
{
    private static readonly TimeSpan _aDay = TimeSpan.FromDays(1);

    /// <summary>Whether the store has a clock of its own (Redis TIME, PostgreSQL clock_timestamp()); SQLite has not.</summary>
    protected virtual bool StoreHasClock => true;

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public async Task ProcessesWithSkewedClocks_ShareTheLedgersWindow(int days)
    {
        var window = BudgetWindow.FromCalendar(CalendarUnit.Day);
        var onTime = await OpenAsync(limit: 100, window: window);
        var skewed = await OpenAsync(limit: 100, window: window, time: new SkewedClock(_aDay * days), options: LedgerOptions.Default);

        Assert.Equal(ReserveStatus.Reserved, (await onTime.ReserveAsync(60, default)).Status);
        var refused = await skewed.ReserveAsync(60, default);

        if (!StoreHasClock)
        {
            Assert.Equal(ReserveStatus.Reserved, refused.Status); // its own clock's day
            Assert.Equal(0, skewed.ClockOffsetMs);
            return;
        }
        Assert.Equal(ReserveStatus.Insufficient, refused.Status); // the same day, the same 100 cents
        Assert.Equal((0L, 60L), Numbers(refused.Account));
        Assert.InRange(skewed.ClockOffsetMs, (-_aDay * days).TotalMilliseconds - 5_000, (-_aDay * days).TotalMilliseconds + 5_000);
        Assert.Equal((await onTime.StatusAsync(default)).WindowEndsAt, (await skewed.StatusAsync(default)).WindowEndsAt);
    }

    [Fact]
    public async Task ClockSteppedAfterOpen_IsCaughtByTheStore_AndTheReservationGoesToTheLedgersWindow()
    {
        var window = BudgetWindow.FromCalendar(CalendarUnit.Day);
        var onTime = await OpenAsync(limit: 100, window: window);
        var clock = new SkewedClock(TimeSpan.Zero);
        var stepped = await OpenAsync(limit: 100, window: window, time: clock, options: LedgerOptions.Default);
        clock.Skew = _aDay * 2; // NTP stepped it after the ledger measured the offset

        Assert.Equal(ReserveStatus.Reserved, (await stepped.ReserveAsync(70, default)).Status);

        if (!StoreHasClock)
        {
            Assert.Equal((0L, 0L), Numbers(await onTime.StatusAsync(default))); // the stepped clock's day
            return;
        }
        Assert.Equal((0L, 70L), Numbers(await onTime.StatusAsync(default))); // in today's window, the only one
        Assert.Equal(ReserveStatus.Insufficient, (await onTime.ReserveAsync(31, default)).Status);
    }

    [Fact]
    public async Task ClockAhead_DoesNotExpireAnotherProcessesReservation()
    {
        var options = new LedgerOptions { ReservationTtl = TimeSpan.FromMinutes(15) };
        var onTime = await OpenAsync(limit: 100, options: options);
        var held = await onTime.ReserveAsync(30, default);
        var ahead = await OpenAsync(limit: 100, time: new SkewedClock(_aDay), options: options);

        Assert.Equal(ReserveStatus.Reserved, (await ahead.ReserveAsync(10, default)).Status); // a reservation runs the store's expiry

        if (!StoreHasClock)
        {
            Assert.Equal(ReservationState.Expired, (await onTime.GetReservationAsync(held.Id!, default))!.State); // a day later by its clock
            return;
        }
        Assert.Equal(ReservationState.Open, (await onTime.GetReservationAsync(held.Id!, default))!.State);
        Assert.Equal((0L, 40L), Numbers(await onTime.StatusAsync(default)));
    }

    [Fact]
    public async Task ClockBehind_ReservationExpiresOnTheLedgersClock()
    {
        var ttl = TimeSpan.FromMinutes(15);
        var behind = await OpenAsync(limit: 100, time: new SkewedClock(-_aDay), options: new LedgerOptions { ReservationTtl = ttl });
        var before = DateTimeOffset.UtcNow;

        var reserved = await behind.ReserveAsync(30, default);

        var info = (await behind.GetReservationAsync(reserved.Id!, default))!;
        Assert.Equal(ttl, info.ExpiresAt - info.CreatedAt);
        if (!StoreHasClock)
        {
            Assert.InRange(info.CreatedAt, before.AddSeconds(-5) - _aDay, DateTimeOffset.UtcNow.AddSeconds(5) - _aDay); // its own clock
            return;
        }
        Assert.InRange(info.CreatedAt, before.AddSeconds(-5), DateTimeOffset.UtcNow.AddSeconds(5)); // not a day ago
    }
}
