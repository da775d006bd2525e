namespace BudgetRun.Client.Tests.Infrastructure;

/// <summary>The ledgers the sidecar tests run on: a SQLite file of the test's own, or the class's real redis-server.</summary>
public enum Ledger
{
    Sqlite,
    Redis,
}
