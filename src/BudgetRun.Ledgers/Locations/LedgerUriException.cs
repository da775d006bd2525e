namespace BudgetRun.Ledgers.Locations;

/// <summary>A <c>--ledger</c> value that names no ledger: a usage error (exit 2), one line, no password.</summary>
internal sealed class LedgerUriException(string message) : Exception(message);
