using BudgetRun.Cli.CommandLine;
using BudgetRun.Cli.Reporting;
using BudgetRun.ControlPlane;
using BudgetRun.Engine;
using BudgetRun.Engine.Budget;
using BudgetRun.Engine.Processes;
using BudgetRun.Ledgers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog.Extensions.Logging;
using ILogger = Serilog.ILogger;

namespace BudgetRun.Cli.Hosting;

/// <summary>
/// Composes one run: the engine with its launcher and ledger, signals, the report and the final
/// log line. With a control plane (<c>--listen</c>, <c>--pushgateway</c>) the host of
/// <see cref="ControlPlaneComposition"/> runs beside the engine (an ASP.NET Core one when it
/// listens); a plain run composes the same objects without it: building, starting and stopping the
/// host costs about 10 ms (bench/run.sh, "start-up cost of the host"), more than a wrap may add.
/// </summary>
internal static class RunHost
{
    public const string ChildUrlVariable = "BUDGET_RUN_URL";
    public const string ChildTokenVariable = AttemptEnvironment.ChildToken;

    public static async Task<int> RunAsync(CliSettings settings, ILogger log)
    {
        foreach (var warning in settings.Warnings)
        {
            log.Warning("{Warning}", warning);
        }

        if (NetworkFeatures.IsSupported)
        {
            ListenStart.Preflight(settings.ControlPlane?.Listen);
        }
        // One id for the run: its reservations and history entries in the ledger, its cgroup, and its attempts' BUDGET_RUN_RUN_ID.
        var runId = Guid.NewGuid().ToString("N");
        using var cgroups = OpenCgroup(settings.Supervisor, runId, log);
        using var control = new RunControl();
        var time = TimeProvider.System;
        using var loggers = new SerilogLoggerFactory(log);
        // The attempts' launcher, also --on-end's (even when the ledger cannot be opened).
        var launcher = new PosixChildLauncher(time, control.KillToken, cgroups, settings.Supervisor.Cgroup, loggers.CreateLogger<PosixChildLauncher>());
        // A persistent account is opened first: an unreachable ledger fails closed (exit 69) before
        // anything else starts.
        RunMetrics? metrics = null;
        await using var ledger = settings.Ledger is { } ledgerSettings
            ? await OpenLedgerAsync(settings, ledgerSettings, runId, launcher, control, fault =>
            {
                metrics?.LedgerError();
                if (!ReportedByTheEngine(fault.Operation))
                {
                    log.Warning("ledger error during {Operation}: {Error}", fault.Operation.DisplayName(), fault.Message);
                }
            }, log).ConfigureAwait(false)
            : null;
        var accountOrRun = ledger is null
            ? new InMemoryBudgetLedger(settings.Supervisor.MaxCostCents)
            : LedgerComposition.ForRun(ledger, settings.Ledger!, settings.Supervisor.MaxCostCents, log);

        using var leftovers = await OpenLeftoversAsync(settings.Ledger?.Account.Key, runId, cgroups, log).ConfigureAwait(false);
        launcher.Leftovers = leftovers;

        using var lifetime = new SignalLifetime(control);
        await using var killWatch = ledger is null ? null : await LedgerComposition.WireKillSwitchAsync(ledger, control).ConfigureAwait(false);

        var options = settings.Supervisor with { RunId = runId };
        // Of the run's own budget (or its run cap in an account); a shared account without a run cap has no run budget to warn of.
        var spendWarning = settings.WarnAtPercent is { } percent && (settings.Ledger is null || settings.Ledger.LimitGiven)
            ? new SpendWarning(percent, options.MaxCostCents, spent =>
            {
                log.Warning(LogMessages.SpendWarning, spent, options.MaxCostCents, percent);
                metrics?.BudgetWarningCrossed();
            })
            : null;
        var budget = new RunBudget(accountOrRun, CostModels.For(options), control, spendWarning);
        IRunObserver observer = NullRunObserver.Instance;
        IHost? host = null;
        if (settings.ControlPlane is { } controlPlane)
        {
            if (!NetworkFeatures.IsSupported)
            {
                throw NetworkFeatures.Missing("the control plane");
            }
            metrics = new RunMetrics(settings.Workload, accountOrRun, () => control.Reason == StopReason.KillSwitch, ledger);
            var status = new RunStatusTracker();
            var plane = new ControlPlaneState(controlPlane, options.MaxAttempts, control, budget, status, metrics, ledger);
            host = ControlPlaneComposition.Build(controlPlane, lifetime, log, metrics, [metrics, status], app => ControlEndpoints.Map(app, plane));
            observer = ControlPlaneComposition.Observers(host);
            await ListenStart.StartAsync(host, controlPlane.Listen).ConfigureAwait(false);
            if (host is WebApplication app && ControlPlaneHost.ListeningUrl(app) is { } listening)
            {
                log.Information(LogMessages.ControlPlaneListening, listening);
                options = options with
                {
                    ExtraEnvironment = new Dictionary<string, string>(options.ExtraEnvironment)
                    {
                        [ChildUrlVariable] = ControlPlaneHost.ReachableUrl(listening),
                        [ChildTokenVariable] = plane.ChildToken,
                    },
                };
            }
        }

        RunResult result;
        try
        {
            var supervisor = new Supervisor(options, launcher, budget, control, time,
                loggers.CreateLogger<Supervisor>(), observer);
            result = await supervisor.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            if (host is not null)
            {
                await host.StopAsync().ConfigureAwait(false); // the final Pushgateway push happens here
                host.Dispose();
            }
        }

        var report = WriteReport(settings, result, log);
        await RunEndHookAsync(settings, result, runId, report, launcher, control, log).ConfigureAwait(false);
        await LogRunEndedAsync(settings, result, ledger, log).ConfigureAwait(false);
        return result.ExitCode;
    }

    /// <summary>
    /// <c>--on-end</c>, once, after the report (it may read it) and before the run's last line.
    /// Only a second stop signal shortens it: the first one has already ended the run it reports on.
    /// </summary>
    private static Task RunEndHookAsync(CliSettings settings, RunResult result, string runId, string? report, PosixChildLauncher launcher,
        RunControl control, ILogger log) =>
        settings.OnEnd is { } onEnd
            ? EndHook.RunAsync(onEnd, result, RunOutcomeNames.Of(result.Outcome), runId, report, settings.Supervisor.HiddenEnvironment, launcher,
                TimeProvider.System, control.KillToken, log)
            : Task.CompletedTask;

    /// <summary>How long a reap waits for the processes it SIGKILLed to be gone.</summary>
    public static readonly TimeSpan ReapWait = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The run's record of what a SIGKILL of budget-run would leave behind (null, said at debug
    /// level, where the state directory cannot be used). A run on a budget key first reaps what
    /// earlier runs on that key left when their budget-run was killed.
    /// </summary>
    private static async Task<LeftoverRecorder?> OpenLeftoversAsync(string? key, string runId, RunCgroup? cgroups, ILogger log)
    {
        var directory = StateDirectory.Default();
        if (key is not null && StateDirectory.WhyNotUsable(directory, create: false) is null)
        {
            var reaped = await LeftoverReaper.ReapAsync(directory, key, dryRun: false, TimeProvider.System, ReapWait,
                skipped => log.Debug("reap: ignoring {File}", skipped)).ConfigureAwait(false);
            foreach (var run in reaped.Where(run => !run.SupervisorAlive && run.Found > 0))
            {
                log.Warning(LogMessages.Reaped, run.Found - run.Survivors, run.Record.RunId, key, run.Record.SupervisorPid);
                if (run.Survivors > 0)
                {
                    log.Warning(LogMessages.ReapSurvivors, run.Survivors, run.Record.RunId);
                }
            }
        }
        var recorder = LeftoverRecorder.Open(directory, runId, key, cgroups?.Path, out var whyNot);
        if (recorder is null)
        {
            log.Debug("leftovers are not recorded: {Reason}", whyNot);
        }
        return recorder;
    }

    /// <summary>
    /// The run's cgroup (<c>--cgroup</c>): where the host allows none, <c>required</c> ends the run
    /// before anything starts (exit 2, one line) and <c>auto</c> says once, at debug level, that the
    /// attempts run with the process group and the subreaper sweep alone.
    /// </summary>
    private static RunCgroup? OpenCgroup(SupervisorOptions options, string runId, ILogger log)
    {
        var mode = options.Cgroup;
        var cgroups = RunCgroup.Open(mode, runId, options.Limits, out var whyNot);
        if (cgroups is null && options.Limits.Controllers().FirstOrDefault() is { Flag: { } flag })
        {
            // A controller that does not reach the run's cgroup is said by its flag already.
            throw new UsageException(whyNot.StartsWith(flag, StringComparison.Ordinal) ? whyNot
                : $"{flag}: the limit is set on each attempt's cgroup, and none can be made here: {whyNot}");
        }
        if (cgroups is null && options.CostPerCpuSecondCents > 0)
        {
            throw new UsageException($"--cost-per-cpu-second-cents: CPU time is counted by each attempt's cgroup, and none can be made here: {whyNot}");
        }
        if (cgroups is null && mode == CgroupMode.Required)
        {
            throw new UsageException($"--cgroup required: {whyNot}");
        }
        if (cgroups is null && mode == CgroupMode.Auto)
        {
            log.Debug("attempts run without a cgroup of their own: {Reason}", whyNot);
        }
        return cgroups;
    }

    /// <summary>
    /// The run's last line. Its spend is said once, at the end: a run of its own budget says what it
    /// spent of its limit; a run in a shared account says what this run spent (of its run cap, if it
    /// has one) and then the account's total, which other runs share.
    /// </summary>
    private static async Task LogRunEndedAsync(CliSettings settings, RunResult result, AccountLedger? ledger, ILogger log)
    {
        var level = result.Outcome == RunOutcome.Succeeded ? Serilog.Events.LogEventLevel.Information : Serilog.Events.LogEventLevel.Warning;
        var outcome = RunOutcomeNames.Of(result.Outcome);
        if (ledger is null)
        {
            log.Write(level, LogMessages.RunEnded, outcome, result.ExitCode, result.Message, result.SpentCents, result.BudgetCents, result.AttemptCount);
            return;
        }
        var key = settings.Ledger!.Account.Key;
        AccountStatus? account = null;
        if (result.Outcome != RunOutcome.LedgerUnavailable) // it has just failed: do not wait for it again
        {
            try
            {
                account = await ledger.StatusAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (LedgerUnavailableException)
            {
                // said in the line itself
            }
        }
        if (account is null)
        {
            log.Write(level, LogMessages.RunEndedAccountUnknown, outcome, result.ExitCode, result.Message, result.SpentCents, result.AttemptCount, key);
        }
        else if (settings.Ledger.LimitGiven)
        {
            log.Write(level, LogMessages.RunEndedInAccountWithCap, [outcome, result.ExitCode, result.Message, result.SpentCents,
                settings.Supervisor.MaxCostCents, result.AttemptCount, key, account.SpentCents, account.BudgetCents ?? 0]);
        }
        else
        {
            log.Write(level, LogMessages.RunEndedInAccount, [outcome, result.ExitCode, result.Message, result.SpentCents, result.AttemptCount,
                key, account.SpentCents, account.BudgetCents ?? 0]);
        }
    }

    /// <summary>An account that cannot be opened ends the run before it starts (69), with a report all the same.</summary>
    private static async Task<AccountLedger> OpenLedgerAsync(CliSettings settings, LedgerSettings ledgerSettings, string runId,
        PosixChildLauncher launcher, RunControl control, Action<LedgerFault> onFault, ILogger log)
    {
        try
        {
            return await LedgerComposition.OpenAsync(ledgerSettings, onFault, runId).ConfigureAwait(false);
        }
        catch (LedgerUnavailableException ex)
        {
            var now = TimeProvider.System.GetUtcNow();
            var result = new RunResult(RunOutcome.LedgerUnavailable, ExitCodes.LedgerUnavailable, ex.Message, 0, [],
                0, settings.Supervisor.MaxCostCents, now, now, null);
            var report = WriteReport(settings, result, log);
            await RunEndHookAsync(settings, result, runId, report, launcher, control, log).ConfigureAwait(false);
            throw;
        }
    }

    /// <returns>The report's path once written; null without <c>--report</c> or when it could not be written.</returns>
    private static string? WriteReport(CliSettings settings, RunResult result, ILogger log)
    {
        if (settings.ReportPath is not { } reportPath)
        {
            return null;
        }
        try
        {
            ReportWriter.Write(reportPath, RunReport.From(result, settings.Workload));
            return reportPath;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The run's result stands; a failed report is only logged.
            log.Error("could not write the report to {ReportPath}: {Error}", reportPath, ex.Message);
            return null;
        }
    }

    /// <summary>
    /// The engine's own ledger operations: their failure is told once, by the engine's line about the
    /// attempt (a settle) or by the run's last line (a reservation that ends the run with 69).
    /// </summary>
    private static bool ReportedByTheEngine(LedgerOperation operation) =>
        operation is LedgerOperation.Fits or LedgerOperation.Reserve or LedgerOperation.Settle or LedgerOperation.Release
            or LedgerOperation.Cancel;
}
