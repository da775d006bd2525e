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
    public const string LastSuccess = "budget_run_last_success_timestamp_seconds";
    public const string BudgetWarning = "budget_run_budget_warning_crossed";
    public const string ChildCpu = "budget_run_child_cpu_seconds_total";
    public const string AttemptCostSoFar = "budget_run_attempt_cost_so_far_cents";
    public const string MeterRate = "budget_run_meter_rate_cents_per_second";
    public const string MeterNextSlice = "budget_run_meter_next_slice_timestamp_seconds";

    // Per level of the --budget-key path that has terms (acme, acme/support, acme/support/nightly):
    // a process has one fixed key of at most AccountPath.MaxLevels levels, so the budget_key label
    // has at most that many values per process, and a fleet has as many as it has accounts.
    public const string AccountBudget = "budget_run_account_budget_cents";
    public const string AccountSpent = "budget_run_account_spent_cents";
    public const string AccountReserved = "budget_run_account_reserved_cents";
    public const string AccountRemaining = "budget_run_account_remaining_cents";
    public const string AccountKillSwitch = "budget_run_account_kill_switch_engaged";

    public const string WorkloadLabel = "workload";
    public const string OutcomeLabel = "outcome";
    public const string BudgetKeyLabel = "budget_key";
    public const string BasisLabel = "basis";
}
