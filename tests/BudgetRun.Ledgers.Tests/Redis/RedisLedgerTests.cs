using BudgetRun.Ledgers.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Ledgers.Tests.Redis;

/// <summary>The ledger contract against a real redis-server (shared by the collection; each test has its own key).</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisLedgerTests(RedisFixture redis, ITestOutputHelper output) : LedgerContractTests(output)
{
    protected override string LedgerUri => redis.Server.Uri;
}
