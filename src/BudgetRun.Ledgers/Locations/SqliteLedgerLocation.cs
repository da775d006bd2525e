namespace BudgetRun.Ledgers.Locations;

/// <summary>An SQLite database file: the embedded ledger of one machine.</summary>
internal sealed class SqliteLedgerLocation(string path) : LedgerLocation
{
    /// <summary>The database file's full path.</summary>
    public string Path { get; } = path;

    public override string DisplayName => $"sqlite:{Path}";
}
