namespace BudgetRun.Engine.Budget;

/// <summary>The state of an account at one moment.</summary>
internal readonly record struct BudgetSnapshot(long BudgetCents, long SpentCents, long ReservedCents)
{
    public long RemainingCents => Math.Max(0, BudgetCents - SpentCents - ReservedCents);
}
