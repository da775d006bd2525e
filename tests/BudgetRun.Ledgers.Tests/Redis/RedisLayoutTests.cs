using BudgetRun.Ledgers.Locations;
using BudgetRun.Ledgers.Tests.Infrastructure;
using StackExchange.Redis;

namespace BudgetRun.Ledgers.Tests.Redis;

/// <summary>Keys written by the previous release (the account hash with limit and window seconds only) read as a fixed window.</summary>
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
}
