namespace BudgetRun.Ledgers.Tests.Infrastructure;

/// <summary>The tests that share the <see cref="RedisFixture"/> server.</summary>
[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisFixture>
{
    public const string Name = "redis";
}
