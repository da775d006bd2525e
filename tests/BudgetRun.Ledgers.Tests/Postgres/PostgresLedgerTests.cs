using BudgetRun.Ledgers.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Ledgers.Tests.Postgres;

/// <summary>The ledger contract against a real PostgreSQL (shared by the collection; each test has its own key; the password comes from a .pgpass file).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresLedgerTests(PostgresFixture postgres, ITestOutputHelper output) : LedgerContractTests(output)
{
    protected override string LedgerUri => postgres.Server.Uri;
}
