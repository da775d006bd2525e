namespace BudgetRun.Engine;

/// <summary>
/// A health probe of long-running attempts (<c>--health-cmd</c> or <c>--health-url</c>), Docker's
/// HEALTHCHECK the model: the first check <see cref="Interval"/> after the attempt starts, the next
/// an interval after each one ends; a check that takes longer than <see cref="Timeout"/> fails;
/// <see cref="Retries"/> failures in a row make the attempt unhealthy, and it is stopped (SIGTERM,
/// <c>--kill-grace</c>, SIGKILL) with outcome <see cref="AttemptKind.Unhealthy"/>. Failures within
/// <see cref="StartPeriod"/> of the attempt's start do not count, and a success ends that period.
/// </summary>
public sealed record HealthCheck
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    public const int DefaultRetries = 3;

    /// <summary>Run with <c>/bin/sh -c</c>: exit 0 is healthy. Null when <see cref="Url"/> is the probe.</summary>
    public string? Command { get; init; }

    /// <summary>GET without redirects or a proxy: a 2xx or 3xx answer is healthy. Null when <see cref="Command"/> is the probe.</summary>
    public Uri? Url { get; init; }

    public TimeSpan Interval { get; init; } = DefaultInterval;

    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    public int Retries { get; init; } = DefaultRetries;

    public TimeSpan StartPeriod { get; init; }
}
