using System.CommandLine;
using BudgetRun.Engine;

namespace BudgetRun.Cli.CommandLine;

/// <summary>
/// Turns parsed flags and environment variables into validated settings. Flags win over
/// environment variables; an empty environment variable counts as unset (as in the seed runner);
/// a bad value from either is a usage error that names its source.
/// </summary>
internal sealed class SettingsBinder(CliOptions options, ParseResult parsed, Func<string, string?> environment)
{
    /// <summary>Ten trillion dollars: far beyond any budget, far below overflow.</summary>
    public const long MaxCents = 1_000_000_000_000_000;

    /// <summary>
    /// budget-run's secrets and its listen address stay with budget-run: a child holding the control
    /// token could engage the kill switch, and a nested budget-run would bind the same port.
    /// </summary>
    private static readonly HashSet<string> HiddenFromChild =
        [CliOptions.ControlTokenEnv, CliOptions.ListenEnv, BudgetRun.Ledgers.Locations.LedgerUriParser.PasswordVariable];

    public CliSettings Bind(IReadOnlyList<string> command)
    {
        var logFormat = Text(options.LogFormat) switch
        {
            null or "text" => LogFormat.Text,
            "json" => LogFormat.Json,
            var other => throw new UsageException($"--log-format: '{other}' is not one of text, json"),
        };

        var maxAttempts = Number(options.MaxAttempts, CliOptions.MaxAttemptsEnv, 1, int.MaxValue) ?? 3;
        var budget = Number(options.MaxCostCents, CliOptions.MaxCostCentsEnv, 0, MaxCents) ?? 200;
        var cost = Number(options.CostPerAttemptCents, CliOptions.CostPerAttemptCentsEnv, 0, MaxCents) ?? 0;
        var baseDelay = Duration(options.BaseDelay) ?? TimeSpan.FromSeconds(1);
        var maxDelay = Duration(options.MaxDelay) ?? TimeSpan.FromSeconds(10);
        var retryOn = Text(options.RetryOn) is { } retry ? ValueParsers.ExitCodeList("--retry-on", retry) : null;
        var noRetryOn = Text(options.NoRetryOn) is { } noRetry ? ValueParsers.ExitCodeList("--no-retry-on", noRetry) : new HashSet<int>();

        var report = Text(options.Report);
        if (report is not null && (report.Length == 0 || Directory.Exists(report)))
        {
            throw new UsageException($"--report: '{report}' is not a file path");
        }

        if (command.Count == 0)
        {
            throw new UsageException("no command given (usage: budget-run [options] -- command [args...])");
        }
        if (command[0].Length == 0)
        {
            throw new UsageException("the command is an empty string");
        }

        var warnings = new List<string>();
        var controlPlane = new ControlPlaneBinder(options, Text, environment);
        var workload = controlPlane.Workload(command);
        var controlPlaneSettings = controlPlane.Bind(workload, warnings);
        var ledger = LedgerBinder.Bind(options.BudgetKey, options.Ledger, options.BudgetWindow, options.ReservationTtl, options.LedgerTimeout,
            budget, Text, environment, keyRequired: false);

        var supervisor = new SupervisorOptions
        {
            Command = command,
            MaxAttempts = (int)maxAttempts,
            MaxCostCents = budget,
            CostPerAttemptCents = cost,
            BaseDelay = baseDelay,
            MaxDelay = maxDelay,
            Jitter = parsed.GetValue(options.Jitter),
            AttemptTimeout = Duration(options.AttemptTimeout),
            Deadline = Duration(options.Deadline),
            RetryOn = retryOn,
            NoRetryOn = noRetryOn,
            KillGrace = Duration(options.KillGrace) ?? TimeSpan.FromSeconds(10),
            ResetAfter = Duration(options.ResetAfter),
            HiddenEnvironment = HiddenFromChild,
        };
        return new CliSettings(supervisor, report, logFormat, workload, controlPlaneSettings, ledger, warnings);
    }

    private string? Text(Option<string> option) =>
        parsed.GetResult(option) is null ? null : parsed.GetValue(option);

    private long? Number(Option<string> option, string environmentVariable, long min, long max)
    {
        if (Text(option) is { } flag)
        {
            return ValueParsers.WholeNumber(option.Name, flag, min, max);
        }
        var fromEnvironment = environment(environmentVariable);
        return string.IsNullOrEmpty(fromEnvironment)
            ? null
            : ValueParsers.WholeNumber(environmentVariable, fromEnvironment, min, max);
    }

    private TimeSpan? Duration(Option<string> option) =>
        Text(option) is { } value ? ValueParsers.Duration(option.Name, value) : null;
}
