namespace BudgetRun.Engine;

/// <summary>One attempt as it happened.</summary>
public sealed record AttemptRecord(
    int Number,
    DateTimeOffset StartedAt,
    TimeSpan Duration,
    AttemptKind Kind,
    int? ExitCode,
    int? Signal,
    long CostCents,
    TimeSpan DelayBefore)
{
    /// <summary>The code the retry policy saw: the exit code, 128 + signal, or 124 for a timeout.</summary>
    public int Code => Kind == AttemptKind.Timeout ? ExitCodes.TimedOut : ExitCode ?? ExitCodes.SignalBase + (Signal ?? 0);
}

/// <summary>
/// The result of a whole run: <c>AttemptCount</c> attempts in all, of which <c>Attempts</c> holds
/// the last <see cref="MaxAttemptsKept"/>, oldest first.
/// </summary>
public sealed record RunResult(
    RunOutcome Outcome,
    int ExitCode,
    string Message,
    int AttemptCount,
    IReadOnlyList<AttemptRecord> Attempts,
    long SpentCents,
    long BudgetCents,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    string? StopDetail)
{
    /// <summary>How many attempts a result (and the report) keeps in detail.</summary>
    public const int MaxAttemptsKept = 1000;
}
