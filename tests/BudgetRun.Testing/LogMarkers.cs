namespace BudgetRun.Testing;

/// <summary>
/// What the tests look for in budget-run's log lines, in one place. Each is a literal part of a
/// template in <c>BudgetRun.Engine.LogMessages</c>; <c>LogContractTests</c> holds the two together.
/// </summary>
internal static class LogMarkers
{
    /// <summary>Followed by the URL.</summary>
    public const string ControlPlaneListening = "control plane listening on ";

    /// <summary>Between the attempt and its pid.</summary>
    public const string AttemptStarted = " started: pid ";

    /// <summary>Followed by the key, the ledger and the URL.</summary>
    public const string ServingBudget = "serving budget ";

    /// <summary>The run's last line begins so.</summary>
    public const string RunEnded = "run ended: ";
}
