using BudgetRun.ControlPlane;
using BudgetRun.Engine;

namespace BudgetRun.Cli.CommandLine;

internal enum LogFormat
{
    Text,
    Json,
}

/// <summary>Everything one invocation was asked to do, validated.</summary>
/// <param name="Supervisor">What the engine runs and under which limits.</param>
/// <param name="ReportPath">Where to write the JSON report, if anywhere.</param>
/// <param name="LogFormat">Format of budget-run's own log lines.</param>
/// <param name="Workload">The workload label of metrics and the report.</param>
/// <param name="ControlPlane">Null when neither --listen nor --pushgateway asks for one.</param>
/// <param name="Ledger">The persistent account, when --budget-key names one; null: a per-run budget.</param>
/// <param name="Warnings">Things worth a log line at start that do not stop the run.</param>
/// <param name="OnEnd">The <c>--on-end</c> command, if any.</param>
/// <param name="WarnAtPercent"><c>--warn-at-percent</c>; null: off.</param>
internal sealed record CliSettings(
    SupervisorOptions Supervisor,
    string? ReportPath,
    LogFormat LogFormat,
    string Workload,
    ControlPlaneSettings? ControlPlane,
    LedgerSettings? Ledger,
    IReadOnlyList<string> Warnings,
    EndHookSettings? OnEnd = null,
    int? WarnAtPercent = null);
