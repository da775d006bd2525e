using BudgetRun.Ledgers;

namespace BudgetRun.ControlPlane;

/// <summary>What the sidecar's endpoints act on.</summary>
internal sealed record SidecarState(IAccountLedger Ledger, RunMetrics Metrics, string Workload, string? ControlToken);
