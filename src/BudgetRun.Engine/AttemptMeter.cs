namespace BudgetRun.Engine;

/// <summary>
/// A metered attempt as it runs: <paramref name="Basis"/> <c>wall</c> (<c>--cost-per-minute-cents</c>,
/// <c>--cost-per-hour-cents</c>) or <c>cpu</c> (<c>--cost-per-cpu-second-cents</c>) at
/// <paramref name="CentsPerSecond"/> (of wall time, or of CPU time); what it would be charged if it
/// ended now (its per-attempt price included, at most what is reserved); what is reserved for it;
/// until when that pays; and when the meter reserves the next slice.
/// </summary>
public sealed record MeterReading(int Attempt, string Basis, decimal CentsPerSecond, long CostSoFarCents, long ReservedCents,
    DateTimeOffset PaidUntil, DateTimeOffset? NextSliceAt);

/// <summary>The running attempt's meter, read when asked (a read of CPU time asks its cgroup).</summary>
public sealed class AttemptMeter(Func<MeterReading> read)
{
    public MeterReading Read() => read();
}
