namespace BudgetRun.Ledgers.Tests.Infrastructure;

/// <summary>The tests that share the <see cref="PostgresFixture"/> server.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
