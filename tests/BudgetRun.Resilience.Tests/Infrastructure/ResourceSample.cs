using System.Globalization;

namespace BudgetRun.Resilience.Tests.Infrastructure;

/// <summary>What a process holds at one moment, read from /proc: resident memory, open file descriptors, threads.</summary>
internal sealed record ResourceSample(long RssKiB, int OpenFiles, int Threads)
{
    /// <summary>One reading of /proc/<paramref name="pid"/>; null when the process is gone (or a zombie).</summary>
    public static ResourceSample? Take(int pid)
    {
        try
        {
            long? rss = null;
            int? threads = null;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = long.Parse(line["VmRSS:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("Threads:", StringComparison.Ordinal))
                {
                    threads = int.Parse(line["Threads:".Length..].Trim(), CultureInfo.InvariantCulture);
                }
            }
            var files = Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
            return rss is { } r && threads is { } t ? new ResourceSample(r, files, t) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Fifteen readings 7 ms apart: the median of VmRSS and the lowest count of descriptors and of
    /// threads, so that a file descriptor open for a moment (a spawn's pipe) or a thread-pool
    /// thread that comes and goes does not count as growth.
    /// </summary>
    public static async Task<ResourceSample?> TakeSteadyAsync(int pid)
    {
        // 15 samples 7 ms apart: not a multiple of a short attempt's cycle (about 10 ms with
        // `false` and a 1 ms backoff), so they do not all land in the same phase of it.
        var samples = new List<ResourceSample>();
        for (var i = 0; i < 15; i++)
        {
            if (Take(pid) is { } sample)
            {
                samples.Add(sample);
            }
            await Task.Delay(7);
        }
        if (samples.Count == 0)
        {
            return null;
        }
        // Memory: the median. Descriptors and threads: the floor. While an attempt is being started
        // budget-run holds up to 3 descriptors more for a moment (the attempt's cgroup, its pidfd,
        // the exec-status pipe): measured over 150 samples of one run, 8 fds most of the time and up
        // to 11 in between, at attempt 500 as at 2,500. A leak raises the floor; a transient does not.
        static T Median<T>(IEnumerable<T> values) => values.Order().ElementAt(values.Count() / 2);
        return new ResourceSample(Median(samples.Select(s => s.RssKiB)), samples.Min(s => s.OpenFiles), samples.Min(s => s.Threads));
    }

    public override string ToString() => $"VmRSS {RssKiB / 1024.0:0.0} MiB, {OpenFiles} fds, {Threads} threads";
}
