using System.Net;
using BudgetRun.Client.Tests.Infrastructure;

namespace BudgetRun.Client.Tests;

/// <summary>
/// <see cref="BudgetSidecarClient"/> and <see cref="BudgetReservation"/> against a real
/// <c>budget-run serve</c>, on SQLite and on a real redis-server: what the ledger holds after
/// each call, and the typed exception of every refusal.
/// </summary>
public sealed class SidecarClientTests : IClassFixture<RedisFixture>, IDisposable
{
    private readonly RedisFixture _redis;
    private readonly HttpClient _http = new();

    public SidecarClientTests(RedisFixture redis) => _redis = redis;

    public static TheoryData<Ledger> Ledgers => [Ledger.Sqlite, Ledger.Redis];

    [Theory]
    [MemberData(nameof(Ledgers))]
    public async Task Reserve_HoldsTheCentsAndSettleReplacesThemWithTheRealCost(Ledger ledger)
    {
        await using var sidecar = await Sidecar.StartAsync(ledger, limitCents: 100, _redis.Server.Uri);
        var client = sidecar.Client(_http);

        var reservation = await client.ReserveAsync(30);

        Assert.False(string.IsNullOrEmpty(reservation.Id));
        Assert.Equal((30, 70L), (reservation.Cents, reservation.RemainingCents));
        Assert.Equal((0L, 30L, 70L), await sidecar.AccountAsync());

        var spend = await reservation.SettleAsync(18);

        Assert.True(reservation.IsCompleted);
        Assert.Equal((18L, 82L), (spend.SpentCents, spend.RemainingCents));
        Assert.Equal((18L, 0L, 82L), await sidecar.AccountAsync());
    }

    [Theory]
    [MemberData(nameof(Ledgers))]
    public async Task Settle_HigherThanTheReservation_IsRecordedAsOverspend(Ledger ledger)
    {
        await using var sidecar = await Sidecar.StartAsync(ledger, limitCents: 50, _redis.Server.Uri);
        var client = sidecar.Client(_http);

        var reservation = await client.ReserveAsync(40);
        var spend = await reservation.SettleAsync(65);

        Assert.Equal(65, spend.SpentCents);
        Assert.Equal(65, (await sidecar.AccountAsync()).Spent);
        var refused = await Assert.ThrowsAsync<BudgetExhaustedException>(() => client.ReserveAsync(1));
        Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Ledgers))]
    public async Task Reserve_ThatDoesNotFit_ThrowsBudgetExhaustedWithTheSidecarsDetailAndHoldsNothing(Ledger ledger)
    {
        await using var sidecar = await Sidecar.StartAsync(ledger, limitCents: 100, _redis.Server.Uri);
        var client = sidecar.Client(_http);
        await using var held = await client.ReserveAsync(60);

        var refused = await Assert.ThrowsAsync<BudgetExhaustedException>(() => client.ReserveAsync(41));

        Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
        Assert.Equal("41 cents do not fit: 40 of 100 remain", refused.Detail);
        Assert.Contains("41 cents do not fit", refused.Message, StringComparison.Ordinal);
        Assert.Equal((0L, 60L, 40L), await sidecar.AccountAsync());
    }

    [Theory]
    [MemberData(nameof(Ledgers))]
    public async Task DisposingAnUnsettledReservation_ReleasesIt(Ledger ledger)
    {
        await using var sidecar = await Sidecar.StartAsync(ledger, limitCents: 100, _redis.Server.Uri);
        var client = sidecar.Client(_http);

        await using (var reservation = await client.ReserveAsync(100))
        {
            Assert.Equal((0L, 100L, 0L), await sidecar.AccountAsync());
        }

        Assert.Equal((0L, 0L, 100L), await sidecar.AccountAsync());
        await using var again = await client.ReserveAsync(100); // the whole limit fits again
    }

    [Theory]
    [MemberData(nameof(Ledgers))]
    public async Task DisposingASettledReservation_ChangesNothing(Ledger ledger)
    {
        await using var sidecar = await Sidecar.StartAsync(ledger, limitCents: 100, _redis.Server.Uri);
        var client = sidecar.Client(_http);

        await using (var reservation = await client.ReserveAsync(20))
        {
            await reservation.SettleAsync(20);
        }

        Assert.Equal((20L, 0L, 80L), await sidecar.AccountAsync());
    }

    [Fact]
    public async Task ASecondSettle_ThroughTheSameInstance_IsRefusedWithoutARequest()
    {
        await using var sidecar = await Sidecar.StartAsync(Ledger.Sqlite, limitCents: 100);
        var reservation = await sidecar.Client(_http).ReserveAsync(10);
        await reservation.SettleAsync(5);

        await Assert.ThrowsAsync<InvalidOperationException>(() => reservation.SettleAsync(7));
        await Assert.ThrowsAsync<InvalidOperationException>(() => reservation.ReleaseAsync());
        Assert.Equal(5, (await sidecar.AccountAsync()).Spent);
    }

    [Fact]
    public async Task Release_FreesTheCentsAndSpendsNothing()
    {
        await using var sidecar = await Sidecar.StartAsync(Ledger.Sqlite, limitCents: 100);
        var reservation = await sidecar.Client(_http).ReserveAsync(70);

        await reservation.ReleaseAsync();

        Assert.True(reservation.IsCompleted);
        Assert.Equal((0L, 0L, 100L), await sidecar.AccountAsync());
    }

    [Theory]
    [MemberData(nameof(Ledgers))]
    public async Task Reserve_WhileTheKillSwitchIsEngaged_ThrowsBudgetKilledNamingTheReason(Ledger ledger)
    {
        await using var sidecar = await Sidecar.StartAsync(ledger, limitCents: 100, _redis.Server.Uri);
        var client = sidecar.Client(_http);
        await sidecar.AdministerAsync("kill", "--reason", "INC-42 runaway spend");

        var refused = await Assert.ThrowsAsync<BudgetKilledException>(() => client.ReserveAsync(1));

        Assert.Equal(HttpStatusCode.Locked, refused.StatusCode);
        Assert.Equal($"budget '{sidecar.Key}' is stopped: INC-42 runaway spend", refused.Detail);

        await sidecar.AdministerAsync("resume");
        await ReservesAgainAsync<BudgetKilledException>(client, cents: 1, spentCents: 0, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Reserve_WhileRedisIsDown_ThrowsBudgetLedgerUnavailable_AndWorksOnceItIsBack()
    {
        await using var redis = await RedisServer.StartAsync(persistent: true);
        await using var sidecar = await Sidecar.StartAsync(Ledger.Redis, limitCents: 100, redis.Uri);
        var client = sidecar.Client(_http);
        await (await client.ReserveAsync(5)).SettleAsync(5);

        redis.Kill();
        var refused = await Assert.ThrowsAsync<BudgetLedgerUnavailableException>(() => client.ReserveAsync(5));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);

        await redis.RestartAsync();
        await ReservesAgainAsync<BudgetLedgerUnavailableException>(client, cents: 5, spentCents: 5, TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task AWrongToken_IsA401BudgetRunException_NotATypedRefusal()
    {
        await using var sidecar = await Sidecar.StartAsync(Ledger.Sqlite, limitCents: 100);
        var client = new BudgetSidecarClient(_http, new BudgetSidecarOptions { BaseAddress = sidecar.Url, Token = "Wrong.token.of.the.right.length" });

        var refused = await Assert.ThrowsAsync<BudgetRunException>(() => client.ReserveAsync(1));

        Assert.Equal(typeof(BudgetRunException), refused.GetType());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal((0L, 0L, 100L), await sidecar.AccountAsync());
    }

    [Fact]
    public async Task TheTokenFromAFile_IsTheOneSent()
    {
        await using var sidecar = await Sidecar.StartAsync(Ledger.Sqlite, limitCents: 100);
        var file = sidecar.Scratch.Write("mounted-secret", sidecar.Token + "\n");
        var client = new BudgetSidecarClient(_http, new BudgetSidecarOptions { BaseAddress = sidecar.Url, TokenFile = file });

        await (await client.ReserveAsync(3)).SettleAsync(3);

        Assert.Equal(3, (await sidecar.AccountAsync()).Spent);
    }

    [Fact]
    public async Task ASidecarThatIsNotThere_IsABudgetRunExceptionWithoutAStatus()
    {
        var client = new BudgetSidecarClient(_http, new BudgetSidecarOptions { BaseAddress = new Uri($"http://127.0.0.1:{Ports.FreeLoopback()}") });

        var refused = await Assert.ThrowsAsync<BudgetRunException>(() => client.ReserveAsync(1));

        Assert.Null(refused.StatusCode);
        Assert.IsType<HttpRequestException>(refused.InnerException);
        Assert.StartsWith("budget-run at http://127.0.0.1:", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(1_000_000_000_001L)]
    public async Task CentsOutOfRange_AreRefusedBeforeAnyRequest(long cents)
    {
        var client = new BudgetSidecarClient(_http, new BudgetSidecarOptions { BaseAddress = new Uri($"http://127.0.0.1:{Ports.FreeLoopback()}") });

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.ReserveAsync(cents));
    }

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// Reserves <paramref name="cents"/> (and settles <paramref name="spentCents"/>) every 50 ms
    /// while the sidecar still refuses with <typeparamref name="TRefusal"/>; once <paramref name="limit"/>
    /// has passed, that refusal fails the test.
    /// </summary>
    private static async Task ReservesAgainAsync<TRefusal>(BudgetSidecarClient client, long cents, long spentCents, TimeSpan limit)
        where TRefusal : BudgetRunException
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            try
            {
                await (await client.ReserveAsync(cents)).SettleAsync(spentCents);
                return;
            }
            catch (TRefusal) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }
}
