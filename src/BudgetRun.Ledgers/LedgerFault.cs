namespace BudgetRun.Ledgers;

/// <summary>
/// A failed ledger operation: what was tried (<see cref="LedgerOperation.Reserve"/>, <see cref="LedgerOperation.Settle"/>,
/// <see cref="LedgerOperation.Status"/>...; log it by <see cref="LedgerOperations.DisplayName"/>), on which ledger,
/// and the one-line reason that the <see cref="BudgetRun.Engine.Budget.LedgerUnavailableException"/> also carries.
/// Never holds a password.
/// </summary>
internal sealed record LedgerFault(string Ledger, LedgerOperation Operation, string Message, Exception Error);
