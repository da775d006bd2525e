namespace BudgetRun.Engine.Budget;

/// <summary>
/// How an attempt's cost is reserved and charged: the seam between "what an attempt costs" and
/// "the budget is never overspent". <see cref="RunBudget"/> reserves <see cref="UpfrontCents"/>
/// before the attempt starts, reserves each <see cref="NextTopUp"/> while it runs (the attempt is
/// stopped when one does not fit), and charges <see cref="ChargeCents"/> when it ends, releasing
/// what was reserved beyond that. A fixed price per attempt reserves once and never tops up; a
/// price per minute of runtime or per measured CPU second is one more implementation.
/// </summary>
internal interface ICostModel
{
    /// <summary>The meter's basis and rate in cents a second; null for a cost that is not metered.</summary>
    MeterRate? Rate => null;

    /// <summary>Reserved before the attempt starts; an attempt whose up-front cost does not fit never starts.</summary>
    long UpfrontCents { get; }

    /// <summary>
    /// The next reservation a running attempt needs, given how long it has run and how much is
    /// reserved for it so far; null when it needs none.
    /// </summary>
    CostTopUp? NextTopUp(TimeSpan elapsed, long reservedCents);

    /// <summary>
    /// What the attempt cost, once it ended after running <paramref name="ran"/>;
    /// <paramref name="usage"/> is what its cgroup counted (null without one).
    /// </summary>
    long ChargeCents(TimeSpan ran, long reservedCents, AttemptUsage? usage);
}

/// <summary>A meter's basis (<c>wall</c>: wall time; <c>cpu</c>: CPU time its cgroup counts) and its rate in cents a second of it.</summary>
internal readonly record struct MeterRate(string Basis, decimal CentsPerSecond);
