namespace BudgetRun.Engine.Budget;

/// <summary><c>--cost-per-attempt-cents</c>: the same price for every attempt, however long it runs.</summary>
internal sealed class PerAttemptCost(long cents) : ICostModel
{
    public long UpfrontCents => cents;

    public CostTopUp? NextTopUp(TimeSpan elapsed, long reservedCents) => null;

    public long ChargeCents(TimeSpan ran, long reservedCents, AttemptUsage? usage) => cents;
}
