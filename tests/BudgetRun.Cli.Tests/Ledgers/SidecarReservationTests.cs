using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// <c>POST /v1/reserve</c> and <c>/v1/settle</c> of <c>budget-run serve</c>: an id and what remains,
/// 402 when it does not fit, the real cost replacing the reservation (lower or higher), 409 for a
/// second settle, 404 for an unknown id, and a reservation never settled counted in full after
/// <c>--reservation-ttl</c>.
/// </summary>
public sealed class SidecarReservationTests(RedisFixture redis, ITestOutputHelper output) : SidecarTest(redis), IClassFixture<RedisFixture>
{
    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task Reserve_AnswersAnId_AndSettle_RecordsTheRealCost_LowerOrHigher(LedgerKind kind)
    {
        using var sidecar = await ServeAsync(kind, 100);

        var reserved = (await sidecar.ReserveAsync(30)).AssertStatus(HttpStatusCode.OK);
        var first = reserved.Json.GetProperty("id").GetString()!;
        Assert.Equal(30, reserved.Json.GetProperty("cents").GetInt64());
        Assert.Equal(70, reserved.Json.GetProperty("remainingCents").GetInt64());
        Assert.Equal(new AccountSnapshot(Key, 100, 0, 30, 70, null, false, null), await sidecar.StatusAsync());

        (await sidecar.SettleAsync(first, 10)).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(new AccountSnapshot(Key, 100, 10, 0, 90, null, false, null), await sidecar.StatusAsync());

        var second = await sidecar.ReserveIdAsync(20);
        Assert.NotEqual(first, second);
        var higher = (await sidecar.SettleAsync(second, 50)).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(60, higher.Json.GetProperty("spentCents").GetInt64());
        Assert.Equal(new AccountSnapshot(Key, 100, 60, 0, 40, null, false, null), await sidecar.StatusAsync());
        var metrics = await sidecar.Client.MetricsAsync();
        Assert.Equal(60, metrics.Value("budget_run_cost_cents_total"));
        Assert.Equal(100, metrics.Value("budget_run_budget_cents"));
        Assert.Equal(40, metrics.Value("budget_run_budget_remaining_cents"));

        (await sidecar.SettleAsync(second, 50)).AssertProblem(HttpStatusCode.Conflict);
        (await sidecar.SettleAsync(first, 1)).AssertProblem(HttpStatusCode.Conflict);
        (await sidecar.SettleAsync(Guid.NewGuid().ToString("N"), 5)).AssertProblem(HttpStatusCode.NotFound);
        (await sidecar.ReserveAsync(41)).AssertProblem(HttpStatusCode.PaymentRequired);
        Assert.Equal(new AccountSnapshot(Key, 100, 60, 0, 40, null, false, null), await sidecar.StatusAsync());

        // The sidecar keeps the account in the ledger: the status subcommand sees the same.
        Assert.Equal(new AccountSnapshot(Key, 100, 60, 0, 40, null, false, null), await StatusAsync(kind));
        var exact = (await sidecar.ReserveAsync(40)).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(0, exact.Json.GetProperty("remainingCents").GetInt64());
        (await sidecar.ReserveAsync(1)).AssertProblem(HttpStatusCode.PaymentRequired);
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task Settle_AboveTheLimit_IsRecorded_NotRefused_AndShowsAsOverspend(LedgerKind kind)
    {
        using var sidecar = await ServeAsync(kind, 100);
        var id = await sidecar.ReserveIdAsync(90);

        var settled = await sidecar.SettleAsync(id, 150);

        settled.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(new AccountSnapshot(Key, 100, 150, 0, 0, null, false, null), await sidecar.StatusAsync());
        var metrics = await sidecar.Client.MetricsAsync();
        Assert.Equal(150, metrics.Value("budget_run_cost_cents_total"));
        Assert.Equal(0, metrics.Value("budget_run_budget_remaining_cents"));
        (await sidecar.ReserveAsync(1)).AssertProblem(HttpStatusCode.PaymentRequired);
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task Reservation_NeverSettled_ExpiresAfterTheTtl_AndCountsAsSpentInFull(LedgerKind kind)
    {
        using var sidecar = await ServeAsync(kind, 100, "--reservation-ttl", "2s");

        var clock = Stopwatch.StartNew();
        await sidecar.ReserveIdAsync(30);
        var held = await sidecar.StatusAsync();
        AccountSnapshot? expired = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(8) && (expired = await sidecar.StatusAsync()).ReservedCents != 0)
        {
            await Task.Delay(50);
        }
        output.WriteLine($"{kind}: the 2s reservation was counted as spent after {clock.Elapsed.TotalMilliseconds:0}ms");

        Assert.Equal(new AccountSnapshot(Key, 100, 0, 30, 70, null, false, null), held);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.9), $"the reservation expired after {clock.Elapsed.TotalMilliseconds:0}ms, before its 2s TTL");
        Assert.Equal(new AccountSnapshot(Key, 100, 30, 0, 70, null, false, null), expired);
        Assert.Equal(new AccountSnapshot(Key, 100, 30, 0, 70, null, false, null), await StatusAsync(kind));
        (await sidecar.ReserveAsync(71)).AssertProblem(HttpStatusCode.PaymentRequired);
    }
}
