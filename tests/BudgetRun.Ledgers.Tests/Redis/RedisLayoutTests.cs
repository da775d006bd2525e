using BudgetRun.Ledgers.Locations;
using BudgetRun.Ledgers.Tests.Infrastructure;
using StackExchange.Redis;

namespace BudgetRun.Ledgers.Tests.Redis;

/// <summary>
/// Keys written by the previous releases: the account hash with limit and window seconds only reads
/// as a fixed window, and an account whose key has levels (its whole key was the hash tag) moves to
/// its root's hash tag, open reservations included.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisLayoutTests(RedisFixture redis)
{
    [Fact]
    public async Task AccountOfThePreviousRelease_ReadsAsAFixedWindow_AndARunNeverRewritesIt()
    {
        var key = "old-" + Guid.NewGuid().ToString("N")[..8];
        var location = LedgerUriParser.Parse(redis.Server.Uri, Environment.GetEnvironmentVariable);
        await using (var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Server.Port}"))
        {
            await connection.GetDatabase().HashSetAsync($"budget-run:{{{key}}}:acct", [new("limit", 100), new("window", 86_400)]);
        }

        await using var run = await LedgerFactory.OpenAsync(location, new LedgerAccount(key, 7, BudgetWindow.FromSeconds(60)), RunIdentity.ForCurrentProcess());

        Assert.Equal(new AccountTerms(100, BudgetWindow.FromSeconds(86_400)), run.Terms);
        Assert.Equal(ReserveStatus.Reserved, (await run.ReserveAsync(90, default)).Status);
        await using var admin = await LedgerFactory.OpenAsync(location, new LedgerAccount(key, null, null), RunIdentity.ForCurrentProcess());
        Assert.Equal(new AccountTerms(100, BudgetWindow.FromSeconds(86_400)), admin.Terms);
    }

    [Fact]
    public async Task AccountWithLevels_InThePreviousLayout_MovesOnce_WithItsSpendAndOpenReservation()
    {
        var root = "old-" + Guid.NewGuid().ToString("N")[..8];
        var key = root + "/nightly";
        var bucket = BudgetWindow.None.BucketAt(DateTimeOffset.UtcNow);
        var legacy = $"budget-run:{{{key}}}";
        var expires = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds();
        var location = LedgerUriParser.Parse(redis.Server.Uri, Environment.GetEnvironmentVariable);
        await using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Server.Port}");
        var database = connection.GetDatabase();
        await database.HashSetAsync(legacy + ":acct", [new("limit", 100), new("window", 0), new("updated", 1)]);
        await database.HashSetAsync(legacy + ":b:" + bucket, [new("spent", 40), new("reserved", 25)]);
        await database.HashSetAsync(legacy + ":r:r1", [new("bucket", bucket), new("cents", 25), new("state", "open"), new("created", 1),
            new("expires", expires), new("run", "old-run"), new("pid", 1), new("host", "old-host")]);
        await database.SortedSetAddAsync(legacy + ":open", "r1", expires);

        await using var run = await LedgerFactory.OpenAsync(location, new LedgerAccount(key, 7, BudgetWindow.None), RunIdentity.ForCurrentProcess());

        Assert.Equal(new AccountTerms(100, BudgetWindow.None), run.Terms);
        Assert.False(await database.KeyExistsAsync(legacy + ":acct"));
        Assert.True(await database.KeyExistsAsync($"budget-run:{{{root}}}/nightly:acct"));
        var status = await run.StatusAsync(default);
        Assert.Equal((40L, 25L), (status.SpentCents, status.ReservedCents));
        Assert.Equal(SettleOutcome.Settled, await run.SettleByIdAsync("r1", 20, default));
        Assert.Equal((60L, 0L), ((await run.StatusAsync(default)).SpentCents, (await run.StatusAsync(default)).ReservedCents));
        Assert.Equal(ReserveStatus.Insufficient, (await run.ReserveAsync(41, default)).Status);

        // A second opener finds it moved already: nothing moves twice.
        await using var again = await LedgerFactory.OpenAsync(location, new LedgerAccount(key, 7, BudgetWindow.None), RunIdentity.ForCurrentProcess());
        Assert.Equal(60L, (await again.StatusAsync(default)).SpentCents);
    }
}
