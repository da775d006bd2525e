using System.Globalization;

namespace BudgetRun.Engine.Processes;

/// <summary>
/// What each attempt's cgroup is limited to: <c>--memory-max</c> (<c>memory.max</c>: past it the
/// kernel reclaims, then the OOM killer ends a process of the attempt) and <c>--cpu-max</c>
/// (<c>cpu.max</c>: CPUs' worth of time per 100 ms period).
/// </summary>
public sealed record AttemptLimits(long? MemoryMaxBytes = null, decimal? CpuMax = null)
{
    public static readonly AttemptLimits None = new();

    /// <summary>The period of <c>cpu.max</c>, in microseconds (the kernel's default).</summary>
    public const long CpuPeriodMicros = 100_000;

    public bool Any => MemoryMaxBytes is not null || CpuMax is not null;

    /// <summary>The controllers the limits need, each with the flag that asked for it.</summary>
    public IEnumerable<(string Controller, string Flag)> Controllers()
    {
        if (MemoryMaxBytes is not null)
        {
            yield return ("memory", "--memory-max");
        }
        if (CpuMax is not null)
        {
            yield return ("cpu", "--cpu-max");
        }
    }

    /// <summary>The interface files to write and their values.</summary>
    public IEnumerable<(string File, string Value)> Files()
    {
        if (MemoryMaxBytes is { } bytes)
        {
            yield return ("memory.max", bytes.ToString(CultureInfo.InvariantCulture));
        }
        if (CpuMax is { } cpus)
        {
            yield return ("cpu.max", CpuMaxLine(cpus));
        }
    }

    /// <summary><c>cpu.max</c>'s "QUOTA PERIOD" for <paramref name="cpus"/> CPUs.</summary>
    public static string CpuMaxLine(decimal cpus) =>
        ((long)decimal.Round(cpus * CpuPeriodMicros, MidpointRounding.AwayFromZero)).ToString(CultureInfo.InvariantCulture) + " "
        + CpuPeriodMicros.ToString(CultureInfo.InvariantCulture);
}
