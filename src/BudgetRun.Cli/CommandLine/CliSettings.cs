using BudgetRun.Engine;

namespace BudgetRun.Cli.CommandLine;

internal enum LogFormat
{
    Text,
    Json,
}

/// <summary>Everything one invocation was asked to do, validated.</summary>
internal sealed record CliSettings(SupervisorOptions Supervisor, string? ReportPath, LogFormat LogFormat);
