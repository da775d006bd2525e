using BudgetRun.Cli.CommandLine;
using BudgetRun.Cli.Reporting;
using BudgetRun.ControlPlane;
using BudgetRun.Engine;
using BudgetRun.Engine.Budget;
using BudgetRun.Engine.Processes;
using BudgetRun.Ledgers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Extensions.Logging;
using ILogger = Serilog.ILogger;

namespace BudgetRun.Cli.Hosting;

/// <summary>
/// Composes one run: the engine with its launcher and ledger, signals, the report and the final
/// log line. With a control plane (<c>--listen</c>, <c>--pushgateway</c>) the run is a generic-host
/// service (an ASP.NET Core one when it listens). A plain run composes the engine directly: the
/// host's build, start and stop cost about 5 ms of the 15 ms a wrap may add (bench/run.sh).
/// </summary>
internal static class RunHost
{
    public const string ChildUrlVariable = "BUDGET_RUN_URL";
    public const string ChildTokenVariable = "BUDGET_RUN_TOKEN";

    public static async Task<int> RunAsync(CliSettings settings, ILogger log)
    {
        foreach (var warning in settings.Warnings)
        {
            log.Warning("{Warning}", warning);
        }

        // A persistent account is opened first: an unreachable ledger fails closed (exit 69) before
        // anything else starts.
        RunMetrics? metrics = null;
        await using var ledger = settings.Ledger is { } ledgerSettings
            ? await OpenLedgerAsync(settings, ledgerSettings, fault =>
            {
                metrics?.LedgerError();
                if (!ReportedByTheEngine(fault.Operation))
                {
                    log.Warning("ledger error during {Operation}: {Error}", fault.Operation, fault.Message);
                }
            }, log).ConfigureAwait(false)
            : null;
        IBudgetLedger budget = (IBudgetLedger?)ledger ?? new InMemoryBudgetLedger(settings.Supervisor.MaxCostCents);

        using var control = new RunControl();
        using var signals = new SignalRelay(control);
        await using var killWatch = ledger is null ? null : await LedgerComposition.WireKillSwitchAsync(ledger, control).ConfigureAwait(false);
        var time = TimeProvider.System;
        using var loggers = new SerilogLoggerFactory(log);

        var options = settings.Supervisor;
        var observers = new List<IRunObserver>();
        using var host = settings.ControlPlane is { } controlPlane
            ? BuildControlPlaneHost(settings, controlPlane, budget, control, log, out metrics, out var state)
            : null;
        if (host is not null)
        {
            try
            {
                await host.StartAsync().ConfigureAwait(false);
            }
            catch (IOException ex) when (settings.ControlPlane?.Listen is { } endpoint)
            {
                // Kestrel's bind failure (address in use, not local): nothing has started yet.
                throw new UsageException($"--listen: cannot listen on {endpoint}: {ex.Message}");
            }
            var status = host.Services.GetRequiredService<RunStatusTracker>();
            observers.Add(metrics!);
            observers.Add(status);
            var plane = host.Services.GetRequiredService<ControlPlaneState>();
            if (ledger is not null)
            {
                plane.BudgetKey = ledger.Account.Key;
                plane.FleetKill = async (reason, cancel) => await ledger.KillAsync(reason, cancel).ConfigureAwait(false);
                plane.WindowEndsAt = async cancel => (await ledger.StatusAsync(cancel).ConfigureAwait(false)).WindowEndsAt;
            }
            if (host is WebApplication app && ControlPlaneHost.ListeningUrl(app) is { } listening)
            {
                log.Information("control plane listening on {Url}", listening);
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
            var supervisor = new Supervisor(options, new PosixChildLauncher(time, control.KillToken), budget, control, time,
                loggers.CreateLogger<Supervisor>(), new CompositeRunObserver(observers));
            result = await supervisor.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            if (host is not null)
            {
                await host.StopAsync().ConfigureAwait(false); // the final Pushgateway push happens here
            }
        }

        WriteReport(settings, result, log);
        var level = result.Outcome == RunOutcome.Succeeded ? Serilog.Events.LogEventLevel.Information : Serilog.Events.LogEventLevel.Warning;
        log.Write(level, "run ended: {Outcome} (exit {ExitCode}): {Reason}; spent {SpentCents} of {BudgetCents} cents in {Attempts} attempt(s)",
            OutcomeName(result.Outcome), result.ExitCode, result.Message, result.SpentCents, result.BudgetCents, result.AttemptCount);
        return result.ExitCode;
    }

    /// <summary>The host of the control plane: ASP.NET Core with --listen, a plain generic host for a push-only run.</summary>
    private static IHost BuildControlPlaneHost(CliSettings settings, ControlPlaneSettings controlPlane, IBudgetLedger budget,
        RunControl control, ILogger log, out RunMetrics metrics, out ControlPlaneState state)
    {
        var runMetrics = new RunMetrics(settings.Workload, budget, () => control.Reason == StopReason.KillSwitch);
        metrics = runMetrics;
        // Kestrel only with --listen: a push-only run opens no socket.
        var web = controlPlane.Listen is null ? null : ControlPlaneHost.CreateBuilder(controlPlane);
        IHostApplicationBuilder builder = web is not null
            ? web
            : Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "budget-run", DisableDefaults = true });
        var services = builder.Services;
        services.AddSerilog(log, dispose: false);
        services.AddSingleton<IHostLifetime, NullHostLifetime>();
        services.AddSingleton(settings.Supervisor);
        services.AddSingleton(control);
        services.AddSingleton(budget);
        services.AddSingleton(controlPlane);
        services.AddSingleton<RunStatusTracker>();
        services.AddSingleton(runMetrics);
        services.AddSingleton<ControlPlaneState>();
        services.AddHostedService<MetricsPushService>();

        IHost host;
        if (web is not null)
        {
            var app = web.Build();
            ControlPlaneHost.Configure(app, app.Services.GetRequiredService<ControlPlaneState>());
            host = app;
        }
        else
        {
            host = ((HostApplicationBuilder)builder).Build();
        }
        state = host.Services.GetRequiredService<ControlPlaneState>();
        return host;
    }

    /// <summary>An account that cannot be opened ends the run before it starts (69), with a report all the same.</summary>
    private static async Task<AccountLedger> OpenLedgerAsync(CliSettings settings, LedgerSettings ledgerSettings, Action<LedgerFault> onFault, ILogger log)
    {
        try
        {
            return await LedgerComposition.OpenAsync(ledgerSettings, onFault).ConfigureAwait(false);
        }
        catch (LedgerUnavailableException ex)
        {
            var now = TimeProvider.System.GetUtcNow();
            WriteReport(settings, new RunResult(RunOutcome.LedgerUnavailable, ExitCodes.LedgerUnavailable, ex.Message, 0, [],
                0, settings.Supervisor.MaxCostCents, now, now, null), log);
            throw;
        }
    }

    private static void WriteReport(CliSettings settings, RunResult result, ILogger log)
    {
        if (settings.ReportPath is not { } reportPath)
        {
            return;
        }
        try
        {
            ReportWriter.Write(reportPath, RunReport.From(result, settings.Workload));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The run's result stands; a failed report is only logged.
            log.Error("could not write the report to {ReportPath}: {Error}", reportPath, ex.Message);
        }
    }

    /// <summary>
    /// The engine's own ledger operations: their failure is told once, by the engine's line about the
    /// attempt (a settle) or by the run's last line (a reservation that ends the run with 69).
    /// </summary>
    private static bool ReportedByTheEngine(string operation) =>
        operation is "fits" or "reserve" or "settle" or "release" or "cancel";

    private static string OutcomeName(RunOutcome outcome) =>
        System.Text.Json.JsonSerializer.Serialize(outcome, ReportJsonContext.Default.RunOutcome).Trim('"');
}
