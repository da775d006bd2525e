namespace BudgetRun.Engine;

/// <summary>
/// The log lines that scripts and the tests read (they wait for the control plane's URL, an
/// attempt's pid, the run's outcome): contracts, spelled once here and asserted by a test against
/// the markers the tests look for. Change one only with the README and those markers.
/// </summary>
public static class LogMessages
{
    public const string AttemptStarted = "attempt {Attempt} of {MaxAttempts} started: pid {Pid}";

    public const string ControlPlaneListening = "control plane listening on {Url}";

    public const string ServingBudget = "serving budget {BudgetKey} ({Ledger}) on {Url}";

    public const string RunEnded = "run ended: {Outcome} (exit {ExitCode}): {Reason}; spent {SpentCents} of {BudgetCents} cents in {Attempts} attempt(s)";
}
