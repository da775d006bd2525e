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
    /// <summary>The code the retry policy saw: the exit code, 128 + signal, or 124 for a timeout.</summary>
    public int Code => Kind == AttemptKind.Timeout ? ExitCodes.TimedOut : ExitCode ?? ExitCodes.SignalBase + (Signal ?? 0);
}
