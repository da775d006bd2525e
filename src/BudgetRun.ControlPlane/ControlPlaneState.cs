using BudgetRun.Engine;
using BudgetRun.Engine.Budget;

namespace BudgetRun.ControlPlane;

/// <summary>What the endpoints act on: the run's control, its ledger, its progress and its metrics.</summary>
internal sealed class ControlPlaneState(
    ControlPlaneSettings settings,
    SupervisorOptions supervisor,
    RunControl control,
    IBudgetLedger ledger,
    RunStatusTracker status,
    RunMetrics metrics)
{
    /// <summary>The per-run token handed to the child; it authorises <c>POST /cost</c> only.</summary>
    public string ChildToken { get; } = Tokens.Generate();

    public ControlPlaneSettings Settings => settings;

    public SupervisorOptions Supervisor => supervisor;

    public RunControl Control => control;

    public IBudgetLedger Ledger => ledger;

    public RunStatusTracker Status => status;

    public RunMetrics Metrics => metrics;

    /// <summary>The account's key when the budget is a named ledger account (issue: persistent budgets).</summary>
    public string? BudgetKey { get; set; }

    /// <summary>Engages the kill switch fleet-wide (the ledger's), when the budget is a shared account.</summary>
    public Func<string?, CancellationToken, Task>? FleetKill { get; set; }

    /// <summary>When the account's current window ends, for a windowed account.</summary>
    public Func<CancellationToken, ValueTask<DateTimeOffset?>>? WindowEndsAt { get; set; }
}
