namespace BudgetRun.ControlPlane;

/// <summary>
/// Metric names are a contract: dashboards and alert rules are built on them
/// (examples/prometheus, examples/grafana). This is the one place they are spelled.
/// </summary>
internal static class MetricNames
{
    public const string Attempts = "budget_run_attempts_total";
    public const string Cost = "budget_run_cost_cents_total";
    public const string Budget = "budget_run_budget_cents";
    public const string Remaining = "budget_run_budget_remaining_cents";
    public const string AttemptDuration = "budget_run_attempt_duration_seconds";
    public const string Backoff = "budget_run_backoff_seconds";
    public const string ChildRunning = "budget_run_child_running";
    public const string KillSwitch = "budget_run_kill_switch_engaged";
    public const string LastExitCode = "budget_run_last_exit_code";
    public const string LedgerErrors = "budget_run_ledger_errors_total";

    public const string WorkloadLabel = "workload";
    public const string OutcomeLabel = "outcome";
}
