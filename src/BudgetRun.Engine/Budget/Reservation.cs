namespace BudgetRun.Engine.Budget;

/// <summary>A reserved amount, identified for settling.</summary>
/// <param name="Id">What settles or releases it.</param>
/// <param name="Cents">What it holds.</param>
/// <param name="RemainingCents">What remained of the budget right after it was made, as the ledger answered (null: unknown).</param>
internal sealed record Reservation(string Id, long Cents, long? RemainingCents = null);
