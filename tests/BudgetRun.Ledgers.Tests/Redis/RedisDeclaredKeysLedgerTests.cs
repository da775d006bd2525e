using BudgetRun.Ledgers.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace BudgetRun.Ledgers.Tests.Redis;

/// <summary>
/// The ledger contract against a real redis-server with every script checked to touch only the keys
/// it declares (<see cref="DeclaredKeysOnly"/>): hierarchies, expiry of overdue reservations on
/// shared levels, settles by id and history included.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisDeclaredKeysLedgerTests(RedisFixture redis, ITestOutputHelper output) : LedgerContractTests(output)
{
    protected override string LedgerUri => redis.Server.Uri;

    private protected override LedgerOptions? StoreOptions(LedgerOptions? options) => DeclaredKeysOnly.Options(options);

    private protected override IReadOnlyDictionary<string, string>? WorkerEnvironment { get; } =
        new Dictionary<string, string> { [DeclaredKeysOnly.Variable] = "1" };

    [Fact]
    public async Task TheCheck_RefusesAScriptThatTouchesAKeyItDidNotDeclare()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Server.Port}");
        var database = connection.GetDatabase();
        var script = DeclaredKeysOnly.Rewrite("redis.call('SET', KEYS[1], '1') return redis.call('GET', KEYS[1] .. ':other')");

        var error = await Assert.ThrowsAsync<RedisServerException>(() => database.ScriptEvaluateAsync(script, [Key + ":declared"]));

        Assert.Contains($"undeclared key {Key}:declared:other in GET", error.Message, StringComparison.Ordinal);
        Assert.Equal("1", await database.StringGetAsync(Key + ":declared")); // Redis does not roll a script back: hence the ask-first answers
    }

    [Fact]
    public async Task AccountOfThePreviousLayout_MovesWithEveryKeyDeclared_AndItsReservationsExpireAndSettle()
    {
        // The previous releases put a reservation's bare id in the open set and its bucket on its own account only.
        var root = "old-" + Guid.NewGuid().ToString("N")[..8];
        var legacy = $"budget-run:{{{root}/nightly}}";
        var bucket = BudgetWindow.None.BucketAt(DateTimeOffset.UtcNow);
        var (past, later) = (DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds());
        await using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Server.Port}");
        var database = connection.GetDatabase();
        await database.HashSetAsync(legacy + ":acct", [new("limit", 100), new("window", 0), new("updated", 1)]);
        await database.HashSetAsync(legacy + ":b:" + bucket, [new("spent", 40), new("reserved", 35)]);
        foreach (var (id, cents, expires) in new[] { ("overdue", 25L, past), ("open", 10L, later) })
        {
            await database.HashSetAsync(legacy + ":r:" + id, [new("bucket", bucket), new("cents", cents), new("state", "open"), new("created", 1),
                new("expires", expires), new("run", "old-run"), new("pid", 1), new("host", "old-host")]);
            await database.SortedSetAddAsync(legacy + ":open", id, expires);
        }

        var run = await OpenAsync(limit: 7, key: root + "/nightly");
        Assert.False(await database.KeyExistsAsync(legacy + ":acct"));
        Assert.Equal((65L, 10L), Numbers(await run.StatusAsync(default))); // the overdue one counts as spent

        Assert.Equal(ReserveStatus.Reserved, (await run.ReserveAsync(5, default)).Status); // expires it
        Assert.Equal(ReservationState.Expired, (await run.GetReservationAsync("overdue", default))!.State);
        Assert.Equal(SettleOutcome.Settled, await run.SettleByIdAsync("open", 3, default));
        Assert.Equal((68L, 5L), Numbers(await run.StatusAsync(default)));
    }

    private static (long Spent, long Reserved) Numbers(AccountStatus status) => (status.SpentCents, status.ReservedCents);
}
