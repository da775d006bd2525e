using BudgetRun.Engine;
using BudgetRun.Engine.Budget;
using BudgetRun.Ledgers;

namespace BudgetRun.ControlPlane;

/// <summary>What a run's endpoints act on: the run's control, its budget, its progress and its metrics; all fixed at composition.</summary>
/// <param name="Settings">The control plane's settings (tokens, workload).</param>
/// <param name="MaxAttempts">The attempt cap, for <c>/status</c>.</param>
/// <param name="Control">Where a kill asks the run to stop.</param>
/// <param name="Budget">Every spend decision (the engine's).</param>
/// <param name="Status">The run's progress.</param>
/// <param name="Metrics">The run's metrics.</param>
/// <param name="Account">The shared account when the run has a <c>--budget-key</c>: the fleet kill switch and the window.</param>
internal sealed record ControlPlaneState(
    ControlPlaneSettings Settings,
    int MaxAttempts,
    RunControl Control,
    RunBudget Budget,
    RunStatusTracker Status,
    RunMetrics Metrics,
    IAccountLedger? Account)
{
    /// <summary>The per-run token handed to the child; it authorises <c>POST /cost</c> only.</summary>
    public string ChildToken { get; } = Tokens.Generate();
}
