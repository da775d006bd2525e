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

/// <summary>The outcomes' names, for the log's last line and <c>--on-end</c>.</summary>
public static class RunOutcomeNames
{
    /// <summary>
    /// <paramref name="outcome"/>'s JSON name (the attribute's; a test holds the two together). Not
    /// by serializing it: building the report's JSON context for one name cost 0.7 million
    /// instructions of every run's start-up.
    /// </summary>
    public static string Of(RunOutcome outcome) => outcome switch
    {
        RunOutcome.Succeeded => "succeeded",
        RunOutcome.AttemptsExhausted => "attemptsExhausted",
        RunOutcome.NotRetryable => "notRetryable",
        RunOutcome.StartFailed => "startFailed",
        RunOutcome.BudgetExhausted => "budgetExhausted",
        RunOutcome.TimedOut => "timedOut",
        RunOutcome.Killed => "killed",
        RunOutcome.Interrupted => "interrupted",
        RunOutcome.LedgerUnavailable => "ledgerUnavailable",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };
}
