using System.Text.Json.Serialization;

namespace BudgetRun.Engine;

/// <summary>Why a run ended. The JSON names are a contract (report, status, logs).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RunOutcome>))]
public enum RunOutcome
{
    [JsonStringEnumMemberName("succeeded")] Succeeded,
    /// <summary>The attempt cap was reached; the run exits with the child's last code.</summary>
    [JsonStringEnumMemberName("attemptsExhausted")] AttemptsExhausted,
    /// <summary>The child's exit code is not one to retry (<c>--no-retry-on</c>, <c>--retry-on</c>, 126/127).</summary>
    [JsonStringEnumMemberName("notRetryable")] NotRetryable,
    /// <summary>The command could not be started (not found: 127, not executable: 126).</summary>
    [JsonStringEnumMemberName("startFailed")] StartFailed,
    [JsonStringEnumMemberName("budgetExhausted")] BudgetExhausted,
    /// <summary>The run's <c>--deadline</c> passed.</summary>
    [JsonStringEnumMemberName("timedOut")] TimedOut,
    /// <summary>The kill switch was engaged.</summary>
    [JsonStringEnumMemberName("killed")] Killed,
    /// <summary>budget-run got SIGINT or SIGTERM, or the child died of a terminal's Ctrl-C.</summary>
    [JsonStringEnumMemberName("interrupted")] Interrupted,
    /// <summary>The ledger could not be reached, so no attempt could reserve its cost.</summary>
    [JsonStringEnumMemberName("ledgerUnavailable")] LedgerUnavailable,
}

/// <summary>How one attempt ended. JSON names double as the <c>outcome</c> label of the attempts metric.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AttemptKind>))]
public enum AttemptKind
{
    [JsonStringEnumMemberName("success")] Success,
    /// <summary>Exited with a non-zero code.</summary>
    [JsonStringEnumMemberName("failure")] Failure,
    /// <summary>Stopped by <c>--attempt-timeout</c>; its code is 124.</summary>
    [JsonStringEnumMemberName("timeout")] Timeout,
    /// <summary>Stopped by budget-run (signal, kill switch, deadline, budget).</summary>
    [JsonStringEnumMemberName("killed")] Killed,
    /// <summary>Died of a signal budget-run did not send.</summary>
    [JsonStringEnumMemberName("signal")] Signal,
    /// <summary>Could not be started.</summary>
    [JsonStringEnumMemberName("start_error")] StartError,
}
