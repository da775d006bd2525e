namespace BudgetRun.Engine;

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
