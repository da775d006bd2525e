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
    /// The element-wise median of five readings 20 ms apart, so that a file descriptor open for a
    /// moment (a spawn's pipe) or a thread-pool thread that comes and goes does not count as growth.
    /// </summary>
    public static async Task<ResourceSample?> TakeSteadyAsync(int pid)
    {
        var samples = new List<ResourceSample>();
        for (var i = 0; i < 5; i++)
        {
            if (Take(pid) is { } sample)
            {
                samples.Add(sample);
            }
            await Task.Delay(20);
        }
        if (samples.Count == 0)
        {
            return null;
        }
        static T Median<T>(IEnumerable<T> values) => values.Order().ElementAt(values.Count() / 2);
        return new ResourceSample(Median(samples.Select(s => s.RssKiB)), Median(samples.Select(s => s.OpenFiles)), Median(samples.Select(s => s.Threads)));
    }

    public override string ToString() => $"VmRSS {RssKiB / 1024.0:0.0} MiB, {OpenFiles} fds, {Threads} threads";
}
