using BudgetRun.Ledgers.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Ledgers.Tests.Redis;

/// <summary>The ledger contract on the real three-node Redis Cluster, every script checked to touch only the keys it declares.</summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterDeclaredKeysLedgerTests(RedisClusterFixture redis, ITestOutputHelper output) : LedgerContractTests(output)
{
    protected override string LedgerUri => redis.Cluster.Uri;

    private protected override LedgerOptions? StoreOptions(LedgerOptions? options) => DeclaredKeysOnly.Options(options);

    private protected override IReadOnlyDictionary<string, string>? WorkerEnvironment { get; } =
        new Dictionary<string, string> { [DeclaredKeysOnly.Variable] = "1" };
}
