using BudgetRun.Ledgers.Locations;
using BudgetRun.Ledgers.Tests.Infrastructure;

namespace BudgetRun.Ledgers.Tests;

/// <summary>
/// Issue 8's clock fault, beyond the forward jumps of <see cref="LedgerContractTests"/>
/// (ClockJumpingAcrossWindows_ChargesEachWindowOnceAndSkipsNone): the clock steps back across a
/// window boundary (an NTP correction), or leaps past the reservation TTL and several windows at
/// once. Every reservation is charged once, to the window it was made in; no window is skipped.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ClockJumpTests(RedisFixture redis) : IAsyncLifetime
{
    private static readonly BudgetWindow _hour = BudgetWindow.FromSeconds(3600);
    private static readonly DateTimeOffset _justAfterTen = new(2026, 3, 2, 10, 0, 30, TimeSpan.Zero);
    private readonly Scratch _directory = new();
    private readonly List<AccountLedger> _opened = [];

    [Theory]
    [InlineData("sqlite")]
    [InlineData("redis")]
    public async Task ClockSteppingBackAcrossABoundary_ChargesEachReservationToItsOwnWindow_Once(string kind)
    {
        var time = new WallClock(_justAfterTen);
        var ledger = await OpenAsync(kind, time);
        var tenOClock = await ledger.ReserveAsync(60, default);

        time.Now = _justAfterTen.AddMinutes(-1); // 09:59:30: back in the previous hour
        var nineOClock = await ledger.ReserveAsync(70, default);
        Assert.Equal(ReserveStatus.Reserved, nineOClock.Status); // the previous hour had nothing in it
        Assert.Equal((0L, 70L), Numbers(nineOClock.Account));
        await ledger.SettleByIdAsync(tenOClock.Id!, 60, default); // settled while the clock shows 09:59
        await ledger.SettleByIdAsync(nineOClock.Id!, 70, default);
        var nine = await ledger.StatusAsync(default);

        time.Now = _justAfterTen.AddSeconds(1);
        var ten = await ledger.StatusAsync(default);

        Assert.Equal((70L, 0L), Numbers(nine));
        Assert.Equal((60L, 0L), Numbers(ten));
        Assert.Equal(_hour.BucketAt(_justAfterTen), (await ledger.GetReservationAsync(tenOClock.Id!, default))!.Bucket);
        Assert.Equal(_hour.BucketAt(_justAfterTen.AddMinutes(-1)), (await ledger.GetReservationAsync(nineOClock.Id!, default))!.Bucket);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("redis")]
    public async Task ClockLeapingPastTheTtlAndThreeWindows_ExpiresTheOpenReservationIntoItsOwnWindow_Only(string kind)
    {
        var time = new WallClock(_justAfterTen);
        var ledger = await OpenAsync(kind, time);
        var abandoned = await ledger.ReserveAsync(40, default); // its supervisor dies here

        time.Now = _justAfterTen.AddHours(3).AddMinutes(30); // 13:30: past the 15 min TTL and three boundaries
        var later = await ledger.ReserveAsync(100, default);
        Assert.Equal(ReserveStatus.Reserved, later.Status); // 13:00 starts empty: the 10:00 reservation is not charged here
        await ledger.SettleByIdAsync(later.Id!, 100, default);

        time.Now = _justAfterTen.AddMinutes(30); // back to 10:30 to look at that window
        var ten = await ledger.StatusAsync(default);
        time.Now = _justAfterTen.AddHours(1).AddMinutes(30);
        var eleven = await ledger.StatusAsync(default);

        Assert.Equal((40L, 0L), Numbers(ten)); // expired into spend, in its own window, once
        Assert.Equal((0L, 0L), Numbers(eleven)); // skipped windows stay empty
        Assert.Equal(ReservationState.Expired, (await ledger.GetReservationAsync(abandoned.Id!, default))!.State);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var ledger in _opened)
        {
            await ledger.DisposeAsync();
        }
        _directory.Dispose();
    }

    private async Task<AccountLedger> OpenAsync(string kind, TimeProvider time)
    {
        var uri = kind == "sqlite" ? "sqlite:" + _directory.Path("ledger.db") : redis.Server.Uri;
        var location = LedgerUriParser.Parse(uri, Environment.GetEnvironmentVariable);
        var key = $"clock/{kind}-{Guid.NewGuid():N}";
        var ledger = await LedgerFactory.OpenAsync(location, new LedgerAccount(key, 100, _hour), RunIdentity.ForCurrentProcess(),
            new LedgerOptions { ReservationTtl = TimeSpan.FromMinutes(15), ClientClock = true }, time); // the test's clock is the ledger's
        _opened.Add(ledger);
        return ledger;
    }

    private static (long Spent, long Reserved) Numbers(AccountStatus status) => (status.SpentCents, status.ReservedCents);

    /// <summary>A wall clock that can be set backwards, as NTP may step a real one (FakeTimeProvider refuses to).</summary>
    private sealed class WallClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
