namespace BudgetRun.Engine.Budget;

/// <summary>The state of an account at one moment.</summary>
/// <param name="BudgetCents">The limit.</param>
/// <param name="SpentCents">Spent so far.</param>
/// <param name="ReservedCents">Held by reservations not settled yet.</param>
/// <param name="Scope">Which budget this is when it is not the run's own (a level above its account: <c>budget 'acme'</c>); null otherwise.</param>
internal readonly record struct BudgetSnapshot(long BudgetCents, long SpentCents, long ReservedCents, string? Scope = null)
{
    public long RemainingCents => Math.Max(0, BudgetCents - SpentCents - ReservedCents);
}
