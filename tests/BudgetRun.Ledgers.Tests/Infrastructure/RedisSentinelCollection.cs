namespace BudgetRun.Ledgers.Tests.Infrastructure;

/// <summary>The tests that share the <see cref="RedisSentinelFixture"/> setup.</summary>
[CollectionDefinition(Name)]
public sealed class RedisSentinelCollection : ICollectionFixture<RedisSentinelFixture>
{
    public const string Name = "redis-sentinel";
}
