using Xunit.Sdk;

namespace BudgetRun.Resilience.Tests.Infrastructure;

/// <summary>
/// What counts as noise between two steady samples of one budget-run (<see cref="ResourceSample.TakeSteadyAsync"/>),
/// taken after its warm-up (the first attempts, the first requests): the GC's heap grows and shrinks
/// in steps of a few MiB (gen0 budget and segment granularity), a spawn holds a pipe open for a
/// moment and the thread pool may add a worker under a burst. Growth beyond this is a leak.
/// Measured on the CI machine (2 cores), AOT binary: a 5,000-attempt run moves by about 1.5 MiB,
/// 0 fds and 0 threads between attempt 1,000 and attempt 4,500.
/// </summary>
internal static class ResourceNoise
{
    public const long RssKiB = 8 * 1024;
    public const int OpenFiles = 2;
    public const int Threads = 2;

    public static string Describe => $"noise: VmRSS +{RssKiB / 1024} MiB, +{OpenFiles} fds, +{Threads} threads";

    /// <summary>
    /// Fails unless the memory of <paramref name="end"/> is within the noise of <paramref name="start"/>:
    /// for samples taken early in a run, when the thread pool is still starting its threads.
    /// </summary>
    public static void AssertNoMemoryGrowth(ResourceSample start, ResourceSample end, string what)
    {
        if (end.RssKiB - start.RssKiB > RssKiB)
        {
            throw new XunitException($"{what}: VmRSS grew by {(end.RssKiB - start.RssKiB) / 1024.0:0.0} MiB (start: {start}; end: {end}; {Describe})");
        }
    }

    /// <summary>Fails unless <paramref name="end"/> is within the noise of <paramref name="start"/> (both taken after the warm-up).</summary>
    public static void AssertNoGrowth(ResourceSample start, ResourceSample end, string what)
    {
        var problems = new List<string>();
        if (end.RssKiB - start.RssKiB > RssKiB)
        {
            problems.Add($"VmRSS grew by {(end.RssKiB - start.RssKiB) / 1024.0:0.0} MiB");
        }
        if (end.OpenFiles - start.OpenFiles > OpenFiles)
        {
            problems.Add($"open file descriptors grew by {end.OpenFiles - start.OpenFiles}");
        }
        if (end.Threads - start.Threads > Threads)
        {
            problems.Add($"threads grew by {end.Threads - start.Threads}");
        }
        if (problems.Count > 0)
        {
            throw new XunitException($"{what}: {string.Join(", ", problems)} (start: {start}; end: {end}; {Describe})");
        }
    }
}
