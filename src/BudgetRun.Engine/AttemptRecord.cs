namespace BudgetRun.Engine;

/// <summary>One attempt as it happened; <see cref="Usage"/> is what its cgroup counted, null without one.</summary>
public sealed record AttemptRecord(
    int Number,
    DateTimeOffset StartedAt,
    TimeSpan Duration,
    AttemptKind Kind,
    int? ExitCode,
    int? Signal,
    long CostCents,
    TimeSpan DelayBefore,
    AttemptUsage? Usage = null)
{
    /// <summary>The wait before this attempt was the one the previous attempt's child asked for (<c>POST /retry</c> <c>after</c>), not the backoff's.</summary>
    public bool DelayAskedByChild { get; init; }

    /// <summary>The output predicate that decided whether this attempt was retried (<c>--retry-if-output</c>...), in words; null when none did.</summary>
    public string? OutputRule { get; init; }

    /// <summary>The end of each tapped output stream, with <c>--report-output-tail</c>; null without.</summary>
    public IReadOnlyList<Retry.OutputTail>? OutputTails { get; init; }

    /// <summary>The code the retry policy saw: the exit code, 128 + signal, or 124 for a timeout.</summary>
    public int Code => Kind == AttemptKind.Timeout ? ExitCodes.TimedOut : ExitCode ?? ExitCodes.SignalBase + (Signal ?? 0);
}
