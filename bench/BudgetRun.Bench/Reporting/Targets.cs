namespace BudgetRun.Bench.Reporting;

/// <summary>The targets of issues 7 and 22, in one place.</summary>
internal static class Targets
{
    /// <summary>Over the seed runner's overhead, when the seed is measured (issue 7).</summary>
    public const double OverheadRatioMax = 0.2;

    /// <summary>Overhead of <c>budget-run -- true</c> over bare <c>true</c> (issue 22).</summary>
    public const double OverheadMsMax = 3;

    /// <summary>... and over <c>tini -s -- true</c>'s overhead, measured in the same runs (issue 22).</summary>
    public const double OverheadTiniRatioMax = 3;

    public const double RssMiBMax = 8;
    public const double RssWithListenMiBMax = 20;
    public const double ThroughputRatioMin = 0.95;

    /// <summary>1 GiB through a tapped stdout (<c>--retry-if-output</c>: budget-run copies it), against the bare pipe (issue 21).</summary>
    public const double TappedThroughputRatioMin = 0.9;
    public const double KillMedianMsMax = 50;
    public const double MetricsRequestsPerSecondMin = 5000;
    public const double MetricsP99MsMax = 10;

    /// <summary>
    /// Reservations/s of 8 <c>budget-run serve</c> processes over the raw script (redis-benchmark,
    /// EVALSHA) or statements (pgbench) on the same server, 8 clients. Each reservation is an HTTP
    /// round trip to a sidecar plus the store call, and 8 sidecars plus the client share the
    /// machine's cores with the server, so the ratio is far below 1: these floors are about a third
    /// of the lowest ratio the Native AOT binary measured on the 2 shared cores it was written on (0.15-0.50x,
    /// see README, Benchmarks), so that a loaded machine passes and a collapse does not.
    /// </summary>
    public const double ReserveRedisRatioMin = 0.05;
    public const double ReservePostgresRatioMin = 0.05;

    /// <summary>Growth of peak RSS from the runs of 10 attempts to the run of many (10,000 in full mode; issue 22).</summary>
    public const double MemoryGrowthMiBMax = 2;
}
