using System.Globalization;

namespace BudgetRun.Engine;

/// <summary>
/// The variables each attempt's child gets from budget-run (AWS Batch's <c>AWS_BATCH_JOB_ATTEMPT</c>
/// is the model): which attempt it is, of how many, in which run, and what remains of the budget.
/// The names are a contract (README "The child's environment"), spelled only here. Values a
/// budget-run above this one set are replaced, and one this run does not know is removed.
/// </summary>
internal static class AttemptEnvironment
{
    /// <summary>The attempt's number, from 1, in the current count (it starts over after <c>--reset-after</c>, as the log's "N of M").</summary>
    public const string Attempt = "BUDGET_RUN_ATTEMPT";

    public const string MaxAttempts = "BUDGET_RUN_MAX_ATTEMPTS";

    public const string RunId = "BUDGET_RUN_RUN_ID";

    /// <summary>The child's bearer token for the control plane (set by the CLI's host): the child's alone, never a health check's or the end hook's.</summary>
    public const string ChildToken = "BUDGET_RUN_TOKEN";

    /// <summary>Cents left in the budget once this attempt's reservation is made (the tightest of the run's cap and the account's levels).</summary>
    public const string RemainingCents = "BUDGET_RUN_REMAINING_CENTS";

    /// <summary>The child's start: <paramref name="start"/>'s variables plus this attempt's.</summary>
    public static Processes.ChildStartInfo For(Processes.ChildStartInfo start, int attempt, int maxAttempts, string runId, long? remainingCents)
    {
        var extra = new Dictionary<string, string>(start.ExtraEnvironment, StringComparer.Ordinal)
        {
            [Attempt] = attempt.ToString(CultureInfo.InvariantCulture),
            [MaxAttempts] = maxAttempts.ToString(CultureInfo.InvariantCulture),
        };
        var hidden = new HashSet<string>(start.HiddenEnvironment ?? new HashSet<string>(), StringComparer.Ordinal);
        Set(extra, hidden, RunId, runId.Length > 0 ? runId : null);
        Set(extra, hidden, RemainingCents, remainingCents?.ToString(CultureInfo.InvariantCulture));
        return start with { ExtraEnvironment = extra, HiddenEnvironment = hidden };
    }

    private static void Set(Dictionary<string, string> extra, HashSet<string> hidden, string name, string? value)
    {
        if (value is null)
        {
            extra.Remove(name);
            hidden.Add(name); // never an inherited value that is not this attempt's
        }
        else
        {
            extra[name] = value;
        }
    }
}
