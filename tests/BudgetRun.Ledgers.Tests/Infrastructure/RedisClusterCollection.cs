namespace BudgetRun.Ledgers.Tests.Infrastructure;

/// <summary>The tests that share the <see cref="RedisClusterFixture"/> cluster.</summary>
[CollectionDefinition(Name)]
public sealed class RedisClusterCollection : ICollectionFixture<RedisClusterFixture>
{
    public const string Name = "redis-cluster";
}
