using BudgetRun.Engine.Budget;

namespace BudgetRun.Engine.Tests.Fakes;

/// <summary>
/// A cost model that meters: <paramref name="sliceCents"/> for every <paramref name="slice"/> of
/// runtime, the next slice reserved <paramref name="lead"/> before the current one is used up, and
/// charged by whole slices begun. Stands in for the metered cost model the seam is made for.
/// </summary>
internal sealed class SlicedCost(TimeSpan slice, long sliceCents, TimeSpan lead) : ICostModel
{
    public long UpfrontCents => sliceCents;

    public CostTopUp? NextTopUp(TimeSpan elapsed, long reservedCents)
    {
        var paidUntil = slice * (reservedCents / sliceCents);
        return new CostTopUp(paidUntil - lead, sliceCents, paidUntil);
    }

    public long ChargeCents(TimeSpan ran, long reservedCents, AttemptUsage? usage) =>
        Math.Min(reservedCents, sliceCents * Math.Max(1, (long)Math.Ceiling(ran / slice)));
}
