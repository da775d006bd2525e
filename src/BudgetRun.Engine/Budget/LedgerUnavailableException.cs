namespace BudgetRun.Engine.Budget;

/// <summary>The ledger could not be reached or written; the run must fail closed.</summary>
internal sealed class LedgerUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
