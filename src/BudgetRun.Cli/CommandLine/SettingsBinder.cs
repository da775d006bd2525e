using System.CommandLine;
using BudgetRun.Cli.Files;
using BudgetRun.Cli.Hosting;
using BudgetRun.Engine;
using BudgetRun.Engine.Processes;
using BudgetRun.Engine.Retry;

namespace BudgetRun.Cli.CommandLine;

/// <summary>
/// Turns parsed flags and environment variables into validated settings. Flags win over
/// environment variables; an empty environment variable counts as unset (as in the seed runner);
/// a bad value from either is a usage error that names its source.
/// </summary>
internal sealed class SettingsBinder(CliOptions options, ParseResult parsed, Func<string, string?> environment)
{
    /// <summary>
    /// budget-run's secrets and its listen address stay with budget-run: a child holding the control
    /// token could engage the kill switch, the Pushgateway URL may hold its password, and a nested
    /// budget-run would bind the same port.
    /// </summary>
    private static readonly HashSet<string> HiddenFromChild =
        [CliOptions.ControlTokenEnv, CliOptions.ListenEnv, CliOptions.PushGatewayEnv, BudgetRun.Ledgers.Locations.LedgerUriParser.PasswordVariable];

    public CliSettings Bind(IReadOnlyList<string> command)
    {
        var defaults = SupervisorOptions.Defaults;
        var logFormat = LogFormatOf(options, Text);
        var maxAttempts = Number(options.MaxAttempts, CliOptions.MaxAttemptsEnv, 1, int.MaxValue) ?? defaults.MaxAttempts;
        var budget = BudgetCents(options, Text, environment);
        var cost = Number(options.CostPerAttemptCents, CliOptions.CostPerAttemptCentsEnv, 0, Limits.MaxFlagCents) ?? defaults.CostPerAttemptCents;
        var (perMinute, perCpuSecond, slice) = Meter(defaults);
        var limits = new AttemptLimits(
            Text(options.MemoryMax) is { } memory ? ValueParsers.Size(options.MemoryMax.Name, memory) : null,
            Text(options.CpuMax) is { } cpu ? ValueParsers.Cpus(options.CpuMax.Name, cpu) : null);
        var baseDelay = Duration(options.BaseDelay) ?? defaults.BaseDelay;
        var maxDelay = Duration(options.MaxDelay) ?? defaults.MaxDelay;
        var retryOn = Text(options.RetryOn) is { } retry ? ValueParsers.ExitCodeList("--retry-on", retry) : null;
        var noRetryOn = Text(options.NoRetryOn) is { } noRetry ? ValueParsers.ExitCodeList("--no-retry-on", noRetry) : new HashSet<int>();

        var report = Text(options.Report);
        if (report is not null && (report.Length == 0 || Directory.Exists(report)))
        {
            throw new UsageException($"--report: '{report}' is not a file path");
        }
        if (report is not null && UserFile.WhyNotReplaceable(report) is { } notReplaceable)
        {
            throw new UsageException($"--report: {notReplaceable}; only a regular file (or a missing path) is replaced");
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
            budget, Text, environment, keyRequired: false, BudgetCentsGiven(options, Text, environment), parsed.GetValue(options.RequireAccount));
        ledger = LedgerBinder.WithHistoryRetention(ledger, options.HistoryRetention, Text);

        var supervisor = new SupervisorOptions
        {
            Command = command,
            MaxAttempts = (int)maxAttempts,
            MaxCostCents = budget,
            CostPerAttemptCents = cost,
            CostPerMinuteCents = perMinute,
            CostPerCpuSecondCents = perCpuSecond,
            MeterSlice = slice,
            BaseDelay = baseDelay,
            MaxDelay = maxDelay,
            Jitter = JitterOf(),
            AttemptTimeout = Duration(options.AttemptTimeout),
            Deadline = Duration(options.Deadline),
            RetryOn = retryOn,
            NoRetryOn = noRetryOn,
            KillGrace = Duration(options.KillGrace) ?? defaults.KillGrace,
            Cgroup = CgroupOf(perCpuSecond, limits),
            Limits = limits,
            ResetAfter = Duration(options.ResetAfter),
            Output = OutputRulesOf(report),
            Health = HealthOf(),
            HiddenEnvironment = HiddenFromChild,
        };
        warnings.AddRange(supervisor.CrossFieldWarnings());
        // Every flag is read and valid: a run that needs a network feature now becomes budget-run-net (the lean binary lacks them).
        if (controlPlaneSettings is not null)
        {
            NetworkCompanion.Require(controlPlaneSettings.Listen is not null ? "--listen" : "--pushgateway");
        }
        if (supervisor.Health?.Url is not null)
        {
            NetworkCompanion.Require("--health-url");
        }
        return new CliSettings(supervisor, report, logFormat, workload, controlPlaneSettings, ledger, warnings, OnEnd(supervisor.KillGrace), WarnAtPercentOf());
    }

    /// <summary>The output predicates and the report's tail; null when none is asked for (budget-run stays out of the output's path).</summary>
    private OutputRules? OutputRulesOf(string? report)
    {
        var retryIf = PatternsOf(options.RetryIfOutput);
        var noRetryIf = PatternsOf(options.NoRetryIfOutput);
        var tail = Text(options.ReportOutputTail) is { } lines
            ? (int)ValueParsers.WholeNumber(options.ReportOutputTail.Name, lines, 1, OutputRules.MaxTailLines)
            : (int?)null;
        var stream = Text(options.MatchStream);
        if (retryIf.Length == 0 && noRetryIf.Length == 0 && tail is null)
        {
            return stream is null ? null : throw new UsageException("--match-stream: it chooses the output of --retry-if-output, --no-retry-if-output or --report-output-tail; none is given");
        }
        if (tail is not null && report is null)
        {
            throw new UsageException("--report-output-tail: the tail is kept in the report; give --report PATH too");
        }
        return new OutputRules
        {
            RetryIf = retryIf,
            NoRetryIf = noRetryIf,
            TailLines = tail,
            Streams = stream switch
            {
                null or "stderr" => OutputStreams.Stderr,
                "stdout" => OutputStreams.Stdout,
                "both" => OutputStreams.Both,
                _ => throw new UsageException($"--match-stream: '{stream}' is not one of stdout, stderr, both"),
            },
        };
    }

    private OutputPattern[] PatternsOf(Option<string[]> option)
    {
        if (parsed.GetResult(option) is null)
        {
            return [];
        }
        return (parsed.GetValue(option) ?? []).Select(source =>
        {
            if (source.Length == 0)
            {
                throw new UsageException($"{option.Name}: the pattern is empty (it would match every output)");
            }
            try
            {
                return OutputPattern.Parse(source);
            }
            catch (ArgumentException ex)
            {
                throw new UsageException($"{option.Name}: '{source}' is not a valid pattern: {ex.Message}");
            }
        }).ToArray();
    }

    /// <summary><c>--log-format</c>, for a run and for <c>serve</c>.</summary>
    public static LogFormat LogFormatOf(CliOptions options, Func<Option<string>, string?> flag) => flag(options.LogFormat) switch
    {
        null or "text" => LogFormat.Text,
        "json" => LogFormat.Json,
        var other => throw new UsageException($"--log-format: '{other}' is not one of text, json"),
    };

    /// <summary><c>--max-cost-cents</c> (or <c>MAX_COST_CENTS</c>), for a run and for <c>serve</c>.</summary>
    public static long BudgetCents(CliOptions options, Func<Option<string>, string?> flag, Func<string, string?> environment)
    {
        if (flag(options.MaxCostCents) is { } text)
        {
            return ValueParsers.WholeNumber(options.MaxCostCents.Name, text, 0, Limits.MaxFlagCents);
        }
        return environment(CliOptions.MaxCostCentsEnv) is { Length: > 0 } fromEnvironment
            ? ValueParsers.WholeNumber(CliOptions.MaxCostCentsEnv, fromEnvironment, 0, Limits.MaxFlagCents)
            : SupervisorOptions.Defaults.MaxCostCents;
    }

    /// <summary>Whether <c>--max-cost-cents</c> or <c>MAX_COST_CENTS</c> was given (a shared account's limit is not the default's to change).</summary>
    public static bool BudgetCentsGiven(CliOptions options, Func<Option<string>, string?> flag, Func<string, string?> environment) =>
        flag(options.MaxCostCents) is not null || environment(CliOptions.MaxCostCentsEnv) is { Length: > 0 };

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

    /// <summary>
    /// <c>--cost-per-minute-cents</c> or <c>--cost-per-hour-cents</c> (one of them) and <c>--meter-slice</c>,
    /// which means nothing without a rate; a slice must reserve whole cents the ledger can hold.
    /// </summary>
    private (decimal PerMinute, decimal PerCpuSecond, TimeSpan Slice) Meter(SupervisorOptions defaults)
    {
        var perMinute = Text(options.CostPerMinuteCents) is { } minute ? ValueParsers.Rate(options.CostPerMinuteCents.Name, minute, Limits.MaxRequestCents) : 0m;
        if (Text(options.CostPerHourCents) is { } hour)
        {
            if (perMinute > 0)
            {
                throw new UsageException("--cost-per-hour-cents: give one rate, --cost-per-minute-cents or --cost-per-hour-cents, not both");
            }
            perMinute = ValueParsers.Rate(options.CostPerHourCents.Name, hour, Limits.MaxRequestCents) / 60m;
        }
        var perCpuSecond = 0m;
        if (Text(options.CostPerCpuSecondCents) is { } cpu)
        {
            if (perMinute > 0)
            {
                throw new UsageException("--cost-per-cpu-second-cents: give one rate, by wall time (--cost-per-minute-cents, --cost-per-hour-cents) or by CPU time, not both");
            }
            perCpuSecond = ValueParsers.Rate(options.CostPerCpuSecondCents.Name, cpu, Limits.MaxRequestCents);
        }
        var slice = defaults.MeterSlice;
        var sliceText = Text(options.MeterSlice);
        if (sliceText is not null)
        {
            if (perMinute == 0 && perCpuSecond == 0)
            {
                throw new UsageException($"--meter-slice: '{sliceText}' meters nothing without --cost-per-minute-cents, --cost-per-hour-cents or --cost-per-cpu-second-cents");
            }
            slice = ValueParsers.Duration(options.MeterSlice.Name, sliceText);
            if (slice < TimeSpan.FromSeconds(1) || slice > TimeSpan.FromHours(24))
            {
                throw new UsageException($"--meter-slice: '{sliceText}' is not from 1s to 24h");
            }
        }
        if (perMinute > 0 && BudgetRun.Engine.Budget.MeteredCost.SliceCentsOf(perMinute, slice) > Limits.MaxRequestCents)
        {
            throw new UsageException($"--meter-slice: a slice of {sliceText ?? Durations.Format(slice)} at that rate is more than {Limits.MaxRequestCents} cents; use a shorter slice");
        }
        if (perCpuSecond > 0 && BudgetRun.Engine.Budget.CpuMeteredCost.SliceCentsOf(perCpuSecond, slice, defaults.MeterCpus) > Limits.MaxRequestCents)
        {
            throw new UsageException($"--meter-slice: a slice of {sliceText ?? Durations.Format(slice)} on {defaults.MeterCpus} CPUs at that rate is more than {Limits.MaxRequestCents} cents; use a shorter slice");
        }
        return (perMinute, perCpuSecond, slice);
    }

    /// <summary><c>--warn-at-percent</c>: 1 to 100, or 0 / <c>off</c> for none.</summary>
    private int? WarnAtPercentOf() => Text(options.WarnAtPercent) switch
    {
        null => CliOptions.DefaultWarnAtPercent,
        "0" or "off" => null,
        var text => (int)ValueParsers.WholeNumber(options.WarnAtPercent.Name, text, 1, 100),
    };

    /// <summary>The health probe: <c>--health-cmd</c> or <c>--health-url</c>, and its timings, which mean nothing without one.</summary>
    private HealthCheck? HealthOf()
    {
        var command = Text(options.HealthCmd);
        var url = Text(options.HealthUrl);
        Option<string>[] timings = [options.HealthInterval, options.HealthTimeout, options.HealthRetries, options.HealthStartPeriod];
        if (command is null && url is null)
        {
            return timings.FirstOrDefault(option => Text(option) is not null) is { } orphan
                ? throw new UsageException($"{orphan.Name}: there is no health check to time; give --health-cmd or --health-url")
                : null;
        }
        if (command is not null && url is not null)
        {
            throw new UsageException("--health-cmd and --health-url: give one health check, not both");
        }
        if (command is not null && command.Trim().Length == 0)
        {
            throw new UsageException("--health-cmd: the command is empty");
        }
        Uri? uri = null;
        if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0))
        {
            throw new UsageException($"--health-url: '{url}' is not an http:// or https:// URL");
        }
        return new HealthCheck
        {
            Command = command,
            Url = uri,
            Interval = Duration(options.HealthInterval) ?? HealthCheck.DefaultInterval,
            Timeout = Duration(options.HealthTimeout) ?? HealthCheck.DefaultTimeout,
            Retries = Text(options.HealthRetries) is { } retries ? (int)ValueParsers.WholeNumber(options.HealthRetries.Name, retries, 1, 100) : HealthCheck.DefaultRetries,
            StartPeriod = Duration(options.HealthStartPeriod) ?? TimeSpan.Zero,
        };
    }

    /// <summary><c>--on-end</c> and <c>--on-end-timeout</c>, which means nothing without it.</summary>
    private EndHookSettings? OnEnd(TimeSpan killGrace)
    {
        var timeoutText = Text(options.OnEndTimeout);
        if (Text(options.OnEnd) is not { } command)
        {
            return timeoutText is null ? null : throw new UsageException($"--on-end-timeout: '{timeoutText}' bounds nothing without --on-end");
        }
        if (command.Trim().Length == 0)
        {
            throw new UsageException("--on-end: the command is empty");
        }
        return new EndHookSettings(command, Duration(options.OnEndTimeout) ?? EndHookSettings.DefaultTimeout, killGrace);
    }

    private TimeSpan? Duration(Option<string> option) =>
        Text(option) is { } value ? ValueParsers.Duration(option.Name, value) : null;

    /// <summary>
    /// <c>--cgroup</c>. Cost by measured CPU time needs each attempt's cgroup: it makes <c>auto</c>
    /// <c>required</c> (a run whose CPU time could not be counted does not start), and <c>off</c> an error.
    /// </summary>
    private CgroupMode CgroupOf(decimal perCpuSecond, AttemptLimits limits)
    {
        var mode = Text(options.Cgroup) switch
        {
            null or "auto" => CgroupMode.Auto,
            "required" => CgroupMode.Required,
            "off" => CgroupMode.Off,
            var other => throw new UsageException($"--cgroup: '{other}' is not one of required, auto, off"),
        };
        if (perCpuSecond > 0 && mode == CgroupMode.Off)
        {
            throw new UsageException($"{options.CostPerCpuSecondCents.Name}: CPU time is counted by each attempt's cgroup, and --cgroup off gives none");
        }
        if (limits.Controllers().FirstOrDefault() is { Flag: { } flag } && mode == CgroupMode.Off)
        {
            throw new UsageException($"{flag}: the limit is set on each attempt's cgroup, and --cgroup off gives none");
        }
        return perCpuSecond > 0 || limits.Any ? CgroupMode.Required : mode;
    }

    /// <summary><c>--jitter</c> alone is decorrelated jitter (as before), <c>--jitter full</c> full jitter; <c>=true</c>/<c>=false</c> still work.</summary>
    private JitterKind JitterOf()
    {
        if (parsed.GetResult(options.Jitter) is not { } result)
        {
            return JitterKind.None;
        }
        var value = result.Tokens.Count == 0 ? null : result.Tokens[0].Value;
        return value switch
        {
            null or "decorrelated" or "true" => JitterKind.Decorrelated,
            "full" => JitterKind.Full,
            "false" => JitterKind.None,
            _ => throw CliOptions.OptionalValueError(options.Jitter.Name, value),
        };
    }
}
