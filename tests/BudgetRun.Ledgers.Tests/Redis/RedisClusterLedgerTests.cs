using BudgetRun.Ledgers.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Ledgers.Tests.Redis;

/// <summary>The ledger contract against a real three-node Redis Cluster, named by its seed list.</summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterLedgerTests(RedisClusterFixture redis, ITestOutputHelper output) : LedgerContractTests(output)
{
    protected override string LedgerUri => redis.Cluster.Uri;
}
