using System.Text.Json.Serialization;
using BudgetRun.Engine;
using BudgetRun.Engine.Retry;

namespace BudgetRun.Cli.Reporting;

/// <summary>
/// The <c>--report</c> document. Property names (camelCase in JSON) are a contract. <c>attempts</c>
/// holds the last 1000 attempts; <c>attemptCount</c> counts them all.
/// </summary>
internal sealed record RunReport(
    RunOutcome Outcome,
    int ExitCode,
    string Message,
    string Workload,
    long CostCents,
    long BudgetCents,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    long DurationMs,
    string? StopReason,
    int AttemptCount,
    IReadOnlyList<AttemptReport> Attempts)
{
    public static RunReport From(RunResult result, string workload) => new(
        result.Outcome,
        result.ExitCode,
        result.Message,
        workload,
        result.SpentCents,
        result.BudgetCents,
        result.StartedAt,
        result.FinishedAt,
        (long)(result.FinishedAt - result.StartedAt).TotalMilliseconds,
        result.StopDetail,
        result.AttemptCount,
        result.Attempts.Select(AttemptReport.From).ToArray());
}

/// <summary>
/// One attempt in the report: <c>exitCode</c> or <c>signal</c> is set, never both. <c>cpuSeconds</c>
/// is what the attempt's cgroup counted (null without one); the memory figures appear only where
/// the cgroup has the memory controller. <c>delayAskedByChild</c> (only when true): the wait before
/// this attempt was the previous child's <c>POST /retry</c> <c>after</c>. <c>outputRule</c>: the
/// output predicate that decided the retry; <c>outputTail</c>: with <c>--report-output-tail</c>.
/// </summary>
internal sealed record AttemptReport(
    int Number,
    DateTimeOffset StartedAt,
    long DurationMs,
    AttemptKind Outcome,
    int? ExitCode,
    int? Signal,
    long CostCents,
    long DelayBeforeMs,
    double? CpuSeconds,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? MemoryPeakBytes,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? OomKills,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool DelayAskedByChild,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? OutputRule,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<OutputTail>? OutputTail)
{
    public static AttemptReport From(AttemptRecord attempt) => new(
        attempt.Number,
        attempt.StartedAt,
        (long)attempt.Duration.TotalMilliseconds,
        attempt.Kind,
        attempt.Kind == AttemptKind.Timeout ? ExitCodes.TimedOut : attempt.ExitCode,
        attempt.Signal,
        attempt.CostCents,
        (long)attempt.DelayBefore.TotalMilliseconds,
        attempt.Usage is { } usage ? Math.Round(usage.CpuSeconds, 6) : null,
        attempt.Usage?.MemoryPeakBytes,
        attempt.Usage?.OomKills,
        attempt.DelayAskedByChild,
        attempt.OutputRule,
        attempt.OutputTails);
}
