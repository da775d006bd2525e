namespace BudgetRun.Bench.Reporting;

/// <summary>The targets of issue 7, in one place.</summary>
internal static class Targets
{
    public const double OverheadRatioMax = 0.2;
    public const double OverheadMsMax = 15;
    public const double RssMiBMax = 30;
    public const double RssWithListenMiBMax = 45;
    public const double ThroughputRatioMin = 0.95;
    public const double KillMedianMsMax = 50;
    public const double MetricsRequestsPerSecondMin = 5000;
    public const double MetricsP99MsMax = 10;

    /// <summary>Added to the spread of the short runs to define memory noise.</summary>
    public const double MemoryNoiseAllowanceMiB = 2;
}
