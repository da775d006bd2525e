using BudgetRun.Ledgers.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Ledgers.Tests.Redis;

/// <summary>
/// The ledger contract through Redis Sentinel (a primary, a replica, three sentinels): the same
/// scripts and keys as a single server, every write confirmed by the replica before it counts, and
/// every script checked to touch only the keys it declares (<see cref="DeclaredKeysOnly"/>).
/// </summary>
[Collection(RedisSentinelCollection.Name)]
public sealed class RedisSentinelLedgerTests(RedisSentinelFixture redis, ITestOutputHelper output) : LedgerContractTests(output)
{
    protected override string LedgerUri => redis.Sentinel.Uri;

    private protected override LedgerOptions? StoreOptions(LedgerOptions? options) => DeclaredKeysOnly.Options(options);

    private protected override IReadOnlyDictionary<string, string>? WorkerEnvironment { get; } =
        new Dictionary<string, string> { [DeclaredKeysOnly.Variable] = "1" };
}
