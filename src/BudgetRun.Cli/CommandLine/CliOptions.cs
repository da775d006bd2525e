using System.CommandLine;
using BudgetRun.ControlPlane;
using BudgetRun.Engine;

namespace BudgetRun.Cli.CommandLine;

/// <summary>
/// The command-line contract: every flag, its environment variable and its help text, in one place.
/// Values are read as text and validated by <see cref="SettingsBinder"/>, which knows whether a
/// value came from a flag or from the environment and says so in its errors.
/// </summary>
internal sealed class CliOptions
{
    private static readonly SupervisorOptions Defaults = SupervisorOptions.Defaults;

    public const string MaxAttemptsEnv = "MAX_ATTEMPTS";
    public const string MaxCostCentsEnv = "MAX_COST_CENTS";
    public const string CostPerAttemptCentsEnv = "COST_PER_ATTEMPT_CENTS";
    public const string ListenEnv = "BUDGET_RUN_LISTEN";
    public const string ControlTokenEnv = "BUDGET_RUN_CONTROL_TOKEN";
    public const string PushGatewayEnv = "BUDGET_RUN_PUSHGATEWAY";
    public const string LedgerEnv = "BUDGET_RUN_LEDGER";
    public const string BudgetKeyEnv = "BUDGET_RUN_BUDGET_KEY";

    /// <summary>The default of <c>--warn-at-percent</c>.</summary>
    public const int DefaultWarnAtPercent = 80;

    public const string StatusCommand = "status";
    public const string KillCommand = "kill";
    public const string ResumeCommand = "resume";
    public const string ServeCommand = "serve";
    public const string InstallCommand = "install";
    public const string BudgetCommand = "budget";
    public const string BudgetSetCommand = "set";
    public const string BudgetShowCommand = "show";
    public const string BudgetListCommand = "list";
    public const string HistoryCommand = "history";
    public const string CompletionCommand = "completion";
    public const string ReapCommand = "reap";

    /// <summary>Subcommands; a wrapped command with one of these names needs "--" before it.</summary>
    public static readonly string[] Subcommands = [StatusCommand, KillCommand, ResumeCommand, ServeCommand, InstallCommand, BudgetCommand, HistoryCommand, CompletionCommand, ReapCommand];

    public Option<string> MaxAttempts { get; } = Value("--max-attempts", "N", $"Attempts in all, >= 1 (env {MaxAttemptsEnv}; default {Defaults.MaxAttempts}).");
    public Option<string> MaxCostCents { get; } = Value("--max-cost-cents", "N", $"Budget in whole cents, >= 0 (env {MaxCostCentsEnv}; default {Defaults.MaxCostCents}); with --budget-key: this run's cap inside the account, and the limit of an account it creates.");
    public Option<string> CostPerAttemptCents { get; } = Value("--cost-per-attempt-cents", "N", $"Cost reserved before and charged for each attempt (env {CostPerAttemptCentsEnv}; default {Defaults.CostPerAttemptCents}).");
    public Option<string> CostPerMinuteCents { get; } = Value("--cost-per-minute-cents", "R", "Meter each attempt's wall time at R cents a minute (decimals allowed), on top of --cost-per-attempt-cents: reserved a slice ahead, and an attempt whose next slice does not fit is stopped in time.");
    public Option<string> CostPerHourCents { get; } = Value("--cost-per-hour-cents", "R", "The same meter, R cents an hour.");
    public Option<string> CostPerCpuSecondCents { get; } = Value("--cost-per-cpu-second-cents", "R", "Meter each attempt by the CPU time its cgroup counts, R cents a CPU second, on top of --cost-per-attempt-cents: each slice reserves its wall time on every CPU, the attempt is charged what it used (needs a cgroup per attempt).");
    public Option<string> MemoryMax { get; } = Value("--memory-max", "SIZE", "Limit each attempt's memory (its cgroup's memory.max: 512M, 2G); past it the OOM killer ends the attempt (outcome oom). Needs a cgroup per attempt with the memory controller.");
    public Option<string> CpuMax { get; } = Value("--cpu-max", "CPUS", "Limit each attempt to CPUS CPUs' worth of time (its cgroup's cpu.max: 0.5, 2). Needs a cgroup per attempt with the cpu controller.");
    public Option<string> MeterSlice { get; } = Value("--meter-slice", "D", $"Runtime one reservation of a metered attempt pays for, 1s to 24h (default {Durations.Format(Defaults.MeterSlice)}).");
    public Option<string> BaseDelay { get; } = Value("--base-delay", "D", $"First backoff delay; failed attempt n waits min(base * 2^(n-1), max) (default {Durations.Format(Defaults.BaseDelay)}).");
    public Option<string> MaxDelay { get; } = Value("--max-delay", "D", $"Backoff cap (default {Durations.Format(Defaults.MaxDelay)}).");
    public Option<string> Jitter { get; } = new("--jitter")
    {
        Description = "Randomise the backoff, still capped by --max-delay: decorrelated (Polly's; plain --jitter) or full (a random share of the delay, as AWS and gRPC).",
        HelpName = "full|decorrelated",
        Arity = ArgumentArity.ZeroOrOne,
    };

    /// <summary>
    /// The words an option with an optional value takes as its value when they follow it
    /// (<c>--jitter full</c>); any other word after it is the command (<c>--jitter ./job</c>).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]> OptionalValueWords = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["--jitter"] = ["full", "decorrelated"],
    };

    /// <summary>The one error for a value <paramref name="option"/> (one of <see cref="OptionalValueWords"/>) does not take.</summary>
    public static UsageException OptionalValueError(string option, string value) =>
        new($"{option}: '{value}' is not a valid value (use {option}, {string.Join(" or ", OptionalValueWords[option].Select(word => $"{option}={word}"))})");

    public Option<string> AttemptTimeout { get; } = Value("--attempt-timeout", "D", "Stop an attempt that runs longer (grace, then kill); it counts as a failure with code 124.");
    public Option<string> Deadline { get; } = Value("--deadline", "D", "Overall limit for the whole run, backoff waits included; exits 124.");
    public Option<string> RetryOn { get; } = Value("--retry-on", "CODES", "Retry only these exit codes, e.g. 1,75,137 (default: any non-zero but 126, 127).");
    public Option<string> NoRetryOn { get; } = Value("--no-retry-on", "CODES", "These exit codes end the run at once.");
    public Option<string[]> RetryIfOutput { get; } = Patterns("--retry-if-output",
        "Retry a failed attempt when the end of its output (the last 64 KiB of --match-stream) matches REGEX, whatever its exit code; when given, a failed attempt whose output matches none is not retried. Repeatable. budget-run then sits in the output's path.");
    public Option<string[]> NoRetryIfOutput { get; } = Patterns("--no-retry-if-output",
        "End the run when a failed attempt's output matches REGEX (before any --retry-if-output). Repeatable.");
    public Option<string> MatchStream { get; } = Value("--match-stream", "stdout|stderr|both",
        "The output the predicates and --report-output-tail read (default stderr); when stdout and stderr are the same file, both are read as one, in order.");
    public Option<string> ReportOutputTail { get; } = Value("--report-output-tail", "N",
        $"Keep the last N lines (1 to {BudgetRun.Engine.Retry.OutputRules.MaxTailLines}, at most 64 KiB) of each attempt's --match-stream output in the --report.");
    public Option<string> KillGrace { get; } = Value("--kill-grace", "D", $"Time between SIGTERM and SIGKILL to the whole process tree (default {Durations.Format(Defaults.KillGrace)}).");
    public Option<string> Cgroup { get; } = Value("--cgroup", "required|auto|off",
        "Run each attempt in a cgroup v2 of its own, killed as one with cgroup.kill and its CPU time measured: auto (default) where budget-run can make one, required (else exit 2), off.");
    public Option<string> ResetAfter { get; } = Value("--reset-after", "D", "An attempt that ran at least this long was healthy: backoff and the attempt count start over (spend never resets).");
    public Option<string> WarnAtPercent { get; } = Value("--warn-at-percent", "P", $"Log one line (and set {MetricNames.BudgetWarning}) when this run's committed spend reaches P% of its budget, 1 to 100; 0 or off: never (default {DefaultWarnAtPercent}).");
    public Option<string> HealthCmd { get; } = Value("--health-cmd", "CMD",
        "Check each attempt's health with /bin/sh -c CMD (exit 0: healthy; BUDGET_RUN_CHILD_PID names the attempt's child) every --health-interval; --health-retries failures in a row stop the attempt (grace, then kill): outcome unhealthy, a failed attempt.");
    public Option<string> HealthUrl { get; } = Value("--health-url", "URL",
        "The same with an HTTP GET of URL (no redirects, no proxy): a 2xx or 3xx answer is healthy.");
    public Option<string> HealthInterval { get; } = Value("--health-interval", "D",
        $"Time from an attempt's start to its first health check, and from each check's end to the next (default {Durations.Format(HealthCheck.DefaultInterval)}).");
    public Option<string> HealthTimeout { get; } = Value("--health-timeout", "D",
        $"A health check that takes longer fails, its command killed (default {Durations.Format(HealthCheck.DefaultTimeout)}).");
    public Option<string> HealthRetries { get; } = Value("--health-retries", "N",
        $"Failed health checks in a row that make an attempt unhealthy, 1 to 100 (default {HealthCheck.DefaultRetries}).");
    public Option<string> HealthStartPeriod { get; } = Value("--health-start-period", "D",
        "Failed health checks within this time of an attempt's start do not count; a healthy one ends it (default none).");
    public Option<string> OnEnd { get; } = Value("--on-end", "CMD", "Run CMD with /bin/sh -c once when the run has ended, whatever the outcome, after the report is written; BUDGET_RUN_OUTCOME, _EXIT_CODE, _SPENT_CENTS, _BUDGET_CENTS, _ATTEMPTS and _REPORT tell it how; its failure never changes the exit code.");
    public Option<string> OnEndTimeout { get; } = Value("--on-end-timeout", "D", $"Stop --on-end's whole process tree after this (SIGTERM, --kill-grace, SIGKILL); default {Durations.Format(EndHookSettings.DefaultTimeout)}.");
    public Option<string> Report { get; } = Value("--report", "PATH", "Write a JSON report of the run to PATH (atomically).");
    public Option<string> LogFormat { get; } = LogFormatOption();
    public Option<string> Name { get; } = Value("--name", "NAME", "The workload label of metrics and reports (default: the command's file name).");
    public Option<string> Listen { get; } = Value("--listen", "ADDR:PORT", $"Serve metrics, health, status, the kill switch and the cost API here (env {ListenEnv}); a bare port means 127.0.0.1.");
    public Option<string> ControlTokenFile { get; } = Value("--control-token-file", "PATH", $"File holding the bearer token for POST /kill and /cost (or env {ControlTokenEnv}).");
    public Option<string> PushGateway { get; } = Value("--pushgateway", "URL", $"Push metrics to this Prometheus Pushgateway during and at the end of the run (env {PushGatewayEnv}).");
    public Option<string> PushInterval { get; } = Value("--push-interval", "D", $"Interval between pushes, with --pushgateway (default {Durations.Format(ControlPlaneSettings.DefaultPushInterval)}).");
    public Option<string> BudgetKey { get; } = BudgetKeyOption();
    public Option<string> BudgetWindow { get; } = BudgetWindowOption();
    public Option<string> Ledger { get; } = LedgerOption();
    public Option<string> ReservationTtl { get; } = ReservationTtlOption();
    public Option<string> LedgerTimeout { get; } = LedgerTimeoutOption();
    public Option<bool> RequireAccount { get; } = new("--require-account")
    {
        Description = "With --budget-key: refuse to start (exit 66) when the account does not exist, instead of creating it from --max-cost-cents and --budget-window.",
    };

    /// <summary>Options of the account subcommands (status, kill, resume), one set per command.</summary>
    public sealed record AccountCommandOptions(Command Command, Option<string> BudgetKey, Option<string> Ledger, Option<string> LedgerTimeout,
        Option<string>? Reason, Option<bool>? Json);

    public AccountCommandOptions Status { get; } = AccountCommand(StatusCommand, "Print an account's limit, spend, reservations, window end and kill switch.", reason: false, json: true);
    public AccountCommandOptions Kill { get; } = AccountCommand(KillCommand, "Engage the fleet kill switch of an account: every run using it stops its child and exits 77.", reason: true, json: false);
    public AccountCommandOptions Resume { get; } = AccountCommand(ResumeCommand, "Release the fleet kill switch of an account.", reason: false, json: false);

    /// <summary>Options of one <c>budget</c> subcommand (set, show, list); the ones it does not take are null.</summary>
    public sealed record BudgetCommandOptions(Command Command, Option<string> BudgetKey, Argument<string>? KeyArgument, Option<string> Ledger,
        Option<string> LedgerTimeout, Option<bool> Json, Option<string>? MaxCostCents, Option<string>? Window, Option<string>? TimeZone,
        Option<string>? Prefix);

    /// <summary><c>budget</c>: operators own an account's terms (the runs only read them).</summary>
    public Command Budget { get; } = new(BudgetCommand, "Set, show and list budget accounts: the one limit, window and time zone every run of a key shares.");

    public BudgetCommandOptions BudgetSet { get; } = BudgetSubcommand(BudgetSetCommand,
        "Create an account or replace its limit (and window, time zone): runs already using it reserve against the new limit at once.", set: true);

    public BudgetCommandOptions BudgetShow { get; } = BudgetSubcommand(BudgetShowCommand, "Print an account's terms and its current window (exit 66 when it does not exist).", set: false);

    public BudgetCommandOptions BudgetList { get; } = BudgetSubcommand(BudgetListCommand, "List the ledger's accounts (an empty list when the SQLite file does not exist).", set: false, list: true);

    public sealed record HistoryCommandOptions(Command Command, Option<string> BudgetKey, Argument<string> KeyArgument, Option<string> Ledger,
        Option<string> LedgerTimeout, Option<string> Since, Option<string> Until, Option<bool> Json, Option<bool> Csv, Option<bool> Follow);

    /// <summary><c>history</c>: who spent what, when: the account's timeline from its ledger.</summary>
    public HistoryCommandOptions History { get; } = HistorySubcommand();

    /// <summary>How long a run's or sidecar's writes keep history entries.</summary>
    public Option<string> HistoryRetention { get; } = HistoryRetentionOption();

    /// <summary>The sidecar: runs no child, serves reservations of one account over HTTP.</summary>
    public Command Serve { get; } = new(ServeCommand, "Run as the budget service of a pod (no child): POST /v1/reserve and /v1/settle, plus /metrics, /healthz, /status.");

    /// <summary>Copies the binary (for an init container whose image has no <c>cp</c>).</summary>
    public Command Install { get; } = new(InstallCommand, "Copy this binary to PATH (PATH/budget-run when PATH is a directory), atomically, executable: for an init container of the default image, which has no cp.");

    /// <summary>Where <c>install</c> copies the binary.</summary>
    public Argument<string> InstallDestination { get; } = new("PATH") { Description = "A directory (the copy is PATH/budget-run) or the file to write." };

    /// <summary>Prints a shell's completion script (Subcommands/CompletionCommand.cs).</summary>
    public Command Completion { get; } = new(CompletionCommand, "Print the completion script of a shell: eval \"$(budget-run completion bash)\" in ~/.bashrc (zsh, fish likewise).");

    /// <summary>The shell whose completion script <c>completion</c> prints.</summary>
    public Argument<string> CompletionShell { get; } = ShellArgument();

    /// <summary><c>reap</c>: kills what runs whose budget-run was SIGKILLed left behind (Subcommands/ReapCommand.cs).</summary>
    public Command Reap { get; } = new(ReapCommand, "Kill what runs left behind when their budget-run was SIGKILLed (their cgroup, their process groups, the processes carrying their BUDGET_RUN_RUN_ID), from the records in the state directory.");

    /// <summary>Only the runs of this budget key.</summary>
    public Option<string> ReapBudgetKey { get; } = Value("--budget-key", "KEY", "Only the runs on this budget key (the environment's BUDGET_RUN_BUDGET_KEY is not read here).");

    /// <summary>The state directory to read (default: as a run writes it).</summary>
    public Option<string> ReapStateDir { get; } = Value("--state-dir", "DIR", "The state directory of the records (default $BUDGET_RUN_STATE_DIR, else $XDG_RUNTIME_DIR/budget-run, else /run/budget-run for root, /tmp/budget-run-UID for others).");

    /// <summary>Find and list, kill nothing.</summary>
    public Option<bool> ReapDryRun { get; } = new("--dry-run") { Description = "Say what would be killed; kill nothing, keep the records." };

    public RootCommand CreateRoot()
    {
        foreach (var option in new Option[] { ReapBudgetKey, ReapStateDir, ReapDryRun, LogFormat })
        {
            Reap.Options.Add(option);
        }
        Install.Arguments.Add(InstallDestination);
        Completion.Arguments.Add(CompletionShell);
        foreach (var option in new Option[] { Listen, ControlTokenFile, Name, BudgetKey, BudgetWindow, Ledger, ReservationTtl, LedgerTimeout, MaxCostCents, LogFormat, RequireAccount, HistoryRetention })
        {
            Serve.Options.Add(option);
        }
        var root = new RootCommand(
            "budget-run: run a command under an attempt cap and a cost budget that is never overspent.\n" +
            "Usage: budget-run [options] -- command [args...]\n" +
            "The command is split off at -- or at the first word that is not an option; its own flags are never read as ours.")
        {
            MaxAttempts, MaxCostCents, CostPerAttemptCents, CostPerMinuteCents, CostPerHourCents, CostPerCpuSecondCents, MeterSlice, BaseDelay, MaxDelay, Jitter, AttemptTimeout,
            Deadline, RetryOn, NoRetryOn, RetryIfOutput, NoRetryIfOutput, MatchStream, ReportOutputTail, KillGrace, Cgroup, MemoryMax, CpuMax, ResetAfter,
            HealthCmd, HealthUrl, HealthInterval, HealthTimeout, HealthRetries, HealthStartPeriod, WarnAtPercent, OnEnd, OnEndTimeout, Report, LogFormat, Name, Listen, ControlTokenFile,
            PushGateway, PushInterval, BudgetKey, BudgetWindow, Ledger, ReservationTtl, LedgerTimeout, RequireAccount, HistoryRetention,
        };
        // The root runs the wrapped command (Program does it); without an action of its own the
        // parser would demand a subcommand.
        root.SetAction(_ => 0);
        root.Subcommands.Add(Status.Command);
        root.Subcommands.Add(Kill.Command);
        root.Subcommands.Add(Resume.Command);
        root.Subcommands.Add(Serve);
        root.Subcommands.Add(Install);
        Budget.Subcommands.Add(BudgetSet.Command);
        Budget.Subcommands.Add(BudgetShow.Command);
        Budget.Subcommands.Add(BudgetList.Command);
        root.Subcommands.Add(Budget);
        root.Subcommands.Add(History.Command);
        root.Subcommands.Add(Completion);
        root.Subcommands.Add(Reap);
        return root;
    }

    private static Argument<string> ShellArgument()
    {
        string[] shells = ["bash", "zsh", "fish"];
        var shell = new Argument<string>("SHELL") { Description = "bash, zsh or fish." };
        shell.CompletionSources.Add(shells);
        shell.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && !shells.Contains(result.Tokens[0].Value))
            {
                result.AddError($"completion: '{result.Tokens[0].Value}' is not one of {string.Join(", ", shells)}");
            }
        });
        return shell;
    }

    /// <summary>Every command has one: what it writes to stderr (errors, warnings) follows it.</summary>
    private static Option<string> LogFormatOption() =>
        Value("--log-format", "text|json", "Format of budget-run's own lines on stderr: log lines, errors, warnings (default text).");

    private static Option<string> BudgetKeyOption() =>
        Value("--budget-key", "KEY", $"Name of a persistent budget account (e.g. nightly-batch, queue-worker/openai) shared by every run using it (env {BudgetKeyEnv}).");

    private static Option<string> BudgetWindowOption() =>
        Value("--budget-window", "W", "With --budget-key: the window of an account this creates: day, week, month (UTC), or a fixed epoch-aligned length (1h, 24h, 7d); default: for all time. An existing account keeps its own.");

    private static Option<string> LedgerOption() =>
        Value("--ledger", "URI", $"Where accounts live: sqlite:PATH (default $XDG_STATE_HOME/budget-run/ledger.db), redis://HOST:PORT[/DB] (rediss://, a cluster's HOST:PORT,HOST:PORT, redis+sentinel://), or postgres://[USER@]HOST[:PORT]/DB (env {LedgerEnv}).");

    private static Option<string> LedgerTimeoutOption() =>
        Value("--ledger-timeout", "D",
            "How long one ledger operation may wait before failing closed (exit 69): SQLite's wait for another writer's lock (default 5s), Redis's answer (default 3s); 1s to 5m.");

    private static Option<string> ReservationTtlOption() =>
        Value("--reservation-ttl", "D", $"A reservation never settled (its supervisor died) counts as spent in full after this (default {Durations.Format(BudgetRun.Ledgers.LedgerOptions.Default.ReservationTtl)}).");

    private static Option<string> HistoryRetentionOption() =>
        Value("--history-retention", "D", "With --budget-key: history entries older than this are removed as new ones are written (default 90d; 1h to 3650d).");

    private static HistoryCommandOptions HistorySubcommand()
    {
        var command = new Command(HistoryCommand,
            "Print an account's history, oldest first: every reservation, settle, release, expiry, reported spend, kill, resume and terms change, with the run that made it, and totals.");
        var key = BudgetKeyOption();
        var keyArgument = new Argument<string>("KEY") { Description = "The account (the same as --budget-key).", Arity = ArgumentArity.ZeroOrOne };
        var ledger = LedgerOption();
        var timeout = LedgerTimeoutOption();
        var since = Value("--since", "WHEN", "Only entries at or after WHEN: a duration ago (24h, 7d) or a time (2026-12-01, 2026-12-01T08:00:00Z); default: all kept.");
        var until = Value("--until", "WHEN", "Only entries before WHEN (same forms as --since); default: now and, with --follow, on.");
        var json = new Option<bool>("--json") { Description = "Print JSON: one document with the entries and totals (with --follow: one entry per line)." };
        var csv = new Option<bool>("--csv") { Description = "Print CSV with a header line." };
        var follow = new Option<bool>("--follow") { Description = "Keep printing new entries as they are written, until interrupted." };
        command.Arguments.Add(keyArgument);
        foreach (var option in new Option[] { key, ledger, timeout, since, until, json, csv, follow, LogFormatOption() })
        {
            command.Options.Add(option);
        }
        return new HistoryCommandOptions(command, key, keyArgument, ledger, timeout, since, until, json, csv, follow);
    }

    private static AccountCommandOptions AccountCommand(string name, string description, bool reason, bool json)
    {
        var command = new Command(name, description);
        var key = BudgetKeyOption();
        var ledger = LedgerOption();
        var timeout = LedgerTimeoutOption();
        command.Options.Add(key);
        command.Options.Add(ledger);
        command.Options.Add(timeout);
        command.Options.Add(LogFormatOption());
        Option<string>? reasonOption = null;
        if (reason)
        {
            reasonOption = Value("--reason", "TEXT", "Why: shown by status, /status, the logs and the report of every stopped run.");
            command.Options.Add(reasonOption);
        }
        Option<bool>? jsonOption = null;
        if (json)
        {
            jsonOption = new Option<bool>("--json") { Description = "Print JSON (for scripts)." };
            command.Options.Add(jsonOption);
        }
        return new AccountCommandOptions(command, key, ledger, timeout, reasonOption, jsonOption);
    }

    private static BudgetCommandOptions BudgetSubcommand(string name, string description, bool set, bool list = false)
    {
        var command = new Command(name, description);
        var key = BudgetKeyOption();
        Argument<string>? keyArgument = null;
        if (!list)
        {
            keyArgument = new Argument<string>("KEY") { Description = "The account (the same as --budget-key).", Arity = ArgumentArity.ZeroOrOne };
            command.Arguments.Add(keyArgument);
            command.Options.Add(key);
        }
        var ledger = LedgerOption();
        var timeout = LedgerTimeoutOption();
        var json = new Option<bool>("--json") { Description = "Print JSON (for scripts)." };
        command.Options.Add(ledger);
        command.Options.Add(timeout);
        command.Options.Add(json);
        command.Options.Add(LogFormatOption());
        Option<string>? limit = null, window = null, zone = null, prefix = null;
        if (set)
        {
            limit = Value("--max-cost-cents", "N", "The account's limit per window, in whole cents (required).");
            window = Value("--budget-window", "W",
                "day, week, month (calendar windows in --timezone), a fixed epoch-aligned length (1h, 24h, 7d: 7d starts on a Thursday), or none; default: the account's current window, none for a new one.");
            zone = Value("--timezone", "TZ", "IANA time zone of a calendar window, e.g. Europe/Berlin (default: the account's, UTC for a new one).");
            command.Options.Add(limit);
            command.Options.Add(window);
            command.Options.Add(zone);
        }
        if (list)
        {
            prefix = Value("--prefix", "P", "Only the accounts whose key starts with P.");
            command.Options.Add(prefix);
        }
        return new BudgetCommandOptions(command, key, keyArgument, ledger, timeout, json, limit, window, zone, prefix);
    }

    /// <summary>A repeatable pattern option: each use adds one.</summary>
    private static Option<string[]> Patterns(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "REGEX",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    private static Option<string> Value(string name, string helpName, string description)
    {
        var option = new Option<string>(name) { Description = description, HelpName = helpName, Arity = ArgumentArity.ExactlyOne };
        // A value of a fixed few words ("text|json") completes to them in the shell (budget-run completion).
        var words = helpName.Split('|');
        if (words.Length > 1 && words.All(word => word.Length > 0 && word.All(char.IsAsciiLetterLower)))
        {
            option.CompletionSources.Add(words);
        }
        return option;
    }
}
