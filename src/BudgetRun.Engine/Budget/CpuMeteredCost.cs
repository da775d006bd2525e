namespace BudgetRun.Engine.Budget;

/// <summary>
/// <c>--cost-per-cpu-second-cents</c>: an attempt costs its per-attempt price plus the CPU time its
/// cgroup counted (<c>cpu.stat usage_usec</c>, every process of the attempt included) at
/// <paramref name="centsPerCpuSecond"/>. CPU time is only known for sure once it is used, so while
/// the attempt runs each slice reserves the most it could use: <paramref name="slice"/> of wall time
/// on all <paramref name="cpus"/> CPUs. The slices follow the wall clock as in
/// <see cref="MeteredCost"/> (the next one a quarter before the paid time ends; one that does not
/// fit stops the attempt in time), and at the end the attempt is charged its measured CPU time,
/// rounded up to a whole cent and never more than was reserved; the rest is released. Without the
/// cgroup's count (it could not be read) the attempt is charged everything reserved for it.
/// </summary>
internal sealed class CpuMeteredCost(long perAttemptCents, decimal centsPerCpuSecond, TimeSpan slice, int cpus) : ICostModel
{
    /// <summary>What one slice reserves: its wall time on every CPU at the rate, rounded up (at least a cent).</summary>
    public long SliceCents { get; } = SliceCentsOf(centsPerCpuSecond, slice, cpus);

    public long UpfrontCents => perAttemptCents + SliceCents;

    public MeterRate? Rate => new MeterRate("cpu", centsPerCpuSecond);

    public CostTopUp? NextTopUp(TimeSpan elapsed, long reservedCents) => MeteredCost.NextSlice(perAttemptCents, SliceCents, slice, reservedCents);

    public long ChargeCents(TimeSpan ran, long reservedCents, AttemptUsage? usage)
    {
        var metered = reservedCents - perAttemptCents;
        return usage is null ? reservedCents : perAttemptCents + Math.Min(metered, CentsFor(centsPerCpuSecond, usage.CpuSeconds));
    }

    /// <summary>The cost of <paramref name="cpuSeconds"/> at the rate, rounded up to a whole cent (the count is in microseconds).</summary>
    public static long CentsFor(decimal centsPerCpuSecond, double cpuSeconds) =>
        cpuSeconds <= 0 ? 0 : (long)decimal.Ceiling(centsPerCpuSecond * Math.Round((decimal)cpuSeconds, 6));

    /// <summary>What one slice of <paramref name="slice"/> on <paramref name="cpus"/> CPUs reserves at the rate (at least a cent).</summary>
    public static long SliceCentsOf(decimal centsPerCpuSecond, TimeSpan slice, int cpus) =>
        Math.Max(1, (long)decimal.Ceiling(centsPerCpuSecond * cpus * slice.Ticks / TimeSpan.TicksPerSecond));
}
