namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>The ledgers every account test runs against.</summary>
public enum LedgerKind
{
    /// <summary>A real SQLite file in the test's scratch directory.</summary>
    Sqlite,

    /// <summary>A real redis-server on a free loopback port (<see cref="RedisFixture"/>).</summary>
    Redis,

    /// <summary>The assembly's one real PostgreSQL on a free loopback port (<see cref="SharedPostgres"/>).</summary>
    Postgres,
}
