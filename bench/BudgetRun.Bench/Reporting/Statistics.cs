namespace BudgetRun.Bench.Reporting;

/// <summary>Order statistics over samples.</summary>
internal static class Statistics
{
    public static double Median(IReadOnlyCollection<double> samples)
    {
        var sorted = Sorted(samples);
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>Nearest-rank percentile: the smallest sample with at least p% of the samples at or below it.</summary>
    public static double Percentile(IReadOnlyCollection<double> samples, double percent)
    {
        var sorted = Sorted(samples);
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }

    private static double[] Sorted(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0)
        {
            throw new BenchException("no samples");
        }
        var sorted = samples.ToArray();
        Array.Sort(sorted);
        return sorted;
    }
}
