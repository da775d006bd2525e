namespace BudgetRun.Ledgers;

/// <summary>
/// A failed ledger operation: what was tried (<c>reserve</c>, <c>settle</c>, <c>status</c>...), on
/// which ledger, and the one-line reason that the <see cref="BudgetRun.Engine.Budget.LedgerUnavailableException"/>
/// also carries. Never holds a password.
/// </summary>
internal sealed record LedgerFault(string Ledger, string Operation, string Message, Exception Error);
