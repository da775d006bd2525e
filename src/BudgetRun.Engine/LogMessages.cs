namespace BudgetRun.Engine;

/// <summary>
/// The log lines that scripts and the tests read (they wait for the control plane's URL, an
/// attempt's pid, the run's outcome): contracts, spelled once here and asserted by a test against
/// the markers the tests look for. Change one only with the README and those markers.
/// </summary>
public static class LogMessages
{
    public const string AttemptStarted = "attempt {Attempt} of {MaxAttempts} started: pid {Pid}";

    /// <summary>
    /// After <c>--reset-after</c> started the count over, the attempt's number (which the report
    /// and the other lines use) goes past the cap: the line says where it stands against the cap.
    /// </summary>
    public const string AttemptStartedAfterReset = "attempt {Attempt} started: pid {Pid} ({Counted} of {MaxAttempts} allowed since the count started over)";

    public const string ControlPlaneListening = "control plane listening on {Url}";

    public const string ServingBudget = "serving budget {BudgetKey} ({Ledger}) on {Url}";

    /// <summary>A run with a budget of its own: what it spent of its limit.</summary>
    public const string RunEnded = "run ended: {Outcome} (exit {ExitCode}): {Reason}; spent {SpentCents} of {BudgetCents} cents in {Attempts} attempt(s)";

    /// <summary>A run in a shared account (<c>--budget-key</c>) without a run cap: this run's spend, then the account's.</summary>
    public const string RunEndedInAccount = "run ended: {Outcome} (exit {ExitCode}): {Reason}; this run spent {SpentCents} cents in {Attempts} attempt(s); account {BudgetKey}: {AccountSpentCents} of {AccountBudgetCents} cents spent";

    /// <summary>A run in a shared account with a run cap (<c>--max-cost-cents</c>).</summary>
    public const string RunEndedInAccountWithCap = "run ended: {Outcome} (exit {ExitCode}): {Reason}; this run spent {SpentCents} of its {RunCapCents}-cent run cap in {Attempts} attempt(s); account {BudgetKey}: {AccountSpentCents} of {AccountBudgetCents} cents spent";

    /// <summary>A run in a shared account whose ledger cannot be read at the end.</summary>
    public const string RunEndedAccountUnknown = "run ended: {Outcome} (exit {ExitCode}): {Reason}; this run spent {SpentCents} cents in {Attempts} attempt(s); account {BudgetKey}: unknown (the ledger cannot be reached)";

    /// <summary><c>--on-end</c> failed, timed out or could not start: one line, and the run's exit code stands.</summary>
    public const string EndHookFailed = "--on-end failed: {Error}; the run's exit code stands";

    /// <summary><c>--warn-at-percent</c>: once per run, when its committed spend reaches the percentage of its budget.</summary>
    public const string SpendWarning = "spend warning: this run has spent {SpentCents} of its {BudgetCents} cents, at least {Percent}% (--warn-at-percent)";

    /// <summary>A run on a budget key found processes that an earlier run on it left when its budget-run was SIGKILLed, and killed them.</summary>
    public const string Reaped = "reaped {Count} process(es) left behind by run {RunId} on budget key {BudgetKey}, whose budget-run (pid {SupervisorPid}) was killed";

    /// <summary>Some of them survived SIGKILL (uninterruptible sleep): the record is kept for the next try.</summary>
    public const string ReapSurvivors = "{Count} process(es) of run {RunId} are still alive after SIGKILL; budget-run reap tries again";
}
