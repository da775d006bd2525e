namespace BudgetRun.Engine.Budget;

/// <summary>
/// <c>--cost-per-minute-cents</c> (or per hour): an attempt costs its per-attempt price plus its wall
/// time at <paramref name="centsPerMinute"/>, reserved in slices of <paramref name="slice"/> ahead of
/// the time they pay for. The first slice is reserved with the per-attempt price before the attempt
/// starts; each next one when a quarter of the paid time is left (the supervisor tries earlier
/// still, by the kill grace, so that an attempt whose next slice does not fit is stopped and dead
/// before the paid time ends). The attempt is charged for the time it ran, rounded up to whole
/// cents, never more than was reserved; the rest of the last slice is released.
/// </summary>
/// <param name="perAttemptCents">The fixed price of every attempt (<c>--cost-per-attempt-cents</c>, may be 0).</param>
/// <param name="centsPerMinute">The rate (&gt; 0; decimals allowed: cents stay whole in the ledger).</param>
/// <param name="slice">How much time one reservation pays for.</param>
internal sealed class MeteredCost(long perAttemptCents, decimal centsPerMinute, TimeSpan slice) : ICostModel
{
    /// <summary>What one slice reserves: its time at the rate, rounded up (so a slice pays for at least its time).</summary>
    public long SliceCents { get; } = SliceCentsOf(centsPerMinute, slice);

    public long UpfrontCents => perAttemptCents + SliceCents;

    public MeterRate? Rate => new MeterRate("wall", centsPerMinute / 60m);

    public CostTopUp? NextTopUp(TimeSpan elapsed, long reservedCents) => NextSlice(perAttemptCents, SliceCents, slice, reservedCents);

    /// <summary>
    /// The next slice of a meter whose slices of <paramref name="slice"/> cost <paramref name="sliceCents"/>
    /// each, on top of <paramref name="perAttemptCents"/>: due when a quarter of the paid time is left.
    /// </summary>
    internal static CostTopUp NextSlice(long perAttemptCents, long sliceCents, TimeSpan slice, long reservedCents)
    {
        var paidUntil = slice * ((reservedCents - perAttemptCents) / sliceCents);
        return new CostTopUp(paidUntil - (slice / 4), sliceCents, paidUntil);
    }

    public long ChargeCents(TimeSpan ran, long reservedCents, AttemptUsage? usage) =>
        perAttemptCents + Math.Min(reservedCents - perAttemptCents, CentsFor(centsPerMinute, ran));

    /// <summary>The cost of <paramref name="time"/> at the rate, rounded up to a whole cent.</summary>
    public static long CentsFor(decimal centsPerMinute, TimeSpan time) =>
        time <= TimeSpan.Zero ? 0 : (long)decimal.Ceiling(centsPerMinute * time.Ticks / TimeSpan.TicksPerMinute);

    /// <summary>What one slice of <paramref name="slice"/> reserves at the rate (at least a cent).</summary>
    public static long SliceCentsOf(decimal centsPerMinute, TimeSpan slice) => Math.Max(1, CentsFor(centsPerMinute, slice));
}
