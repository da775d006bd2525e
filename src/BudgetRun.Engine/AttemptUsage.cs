namespace BudgetRun.Engine;

/// <summary>
/// What an attempt's cgroup counted for every process it held (the child and whatever it started,
/// escaped or not). Memory figures need the memory controller in the cgroup; null where it is not.
/// </summary>
/// <param name="CpuSeconds">User and system CPU time (<c>cpu.stat usage_usec</c>).</param>
/// <param name="MemoryPeakBytes">The highest memory use (<c>memory.peak</c>).</param>
/// <param name="OomKills">Processes the OOM killer ended (<c>memory.events oom_kill</c>).</param>
public sealed record AttemptUsage(double CpuSeconds, long? MemoryPeakBytes, long? OomKills);
