using Xunit.Abstractions;

namespace BudgetRun.Ledgers.Tests.Sqlite;

/// <summary>The ledger contract against a real SQLite file in the test's own directory.</summary>
public sealed class SqliteLedgerTests(ITestOutputHelper output) : LedgerContractTests(output)
{
    private readonly Scratch _directory = new();

    protected override string LedgerUri => "sqlite:" + _directory.Path("state/ledger.db");

    protected override bool StoreHasClock => false;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _directory.Dispose();
    }
}
