using BudgetRun.Ledgers.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Ledgers.Tests.Redis;

/// <summary>
/// The ledger contract through Redis Sentinel (a primary, a replica, three sentinels): the same
/// scripts and keys as a single server, every write confirmed by the replica before it counts.
/// </summary>
[Collection(RedisSentinelCollection.Name)]
public sealed class RedisSentinelLedgerTests(RedisSentinelFixture redis, ITestOutputHelper output) : LedgerContractTests(output)
{
    protected override string LedgerUri => redis.Sentinel.Uri;
}
