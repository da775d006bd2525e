using BudgetRun.Cli.CommandLine;
using BudgetRun.Cli.Reporting;
using BudgetRun.ControlPlane;
using BudgetRun.Engine;
using BudgetRun.Engine.Budget;
using BudgetRun.Engine.Processes;
using BudgetRun.Ledgers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using ILogger = Serilog.ILogger;

namespace BudgetRun.Cli.Hosting;

/// <summary>
/// Composes one run: the engine with its launcher and ledger inside a generic host (an ASP.NET
/// Core one when the control plane is on), signals, the report and the final log line.
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
        Action<LedgerFault>? onLedgerFault = null;
        await using var ledger = settings.Ledger is { } ledgerSettings
            ? await LedgerComposition.OpenAsync(ledgerSettings, fault => onLedgerFault?.Invoke(fault)).ConfigureAwait(false)
            : null;

        var controlPlane = settings.ControlPlane;
        // Kestrel only with --listen: a push-only run opens no socket.
        WebApplicationBuilder? web = controlPlane?.Listen is null ? null : ControlPlaneHost.CreateBuilder(controlPlane);
        IHostApplicationBuilder builder = web is not null
            ? web
            : Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "budget-run", DisableDefaults = true });
        var services = builder.Services;
        services.AddSerilog(log, dispose: false);
        services.AddSingleton<IHostLifetime, NullHostLifetime>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(settings.Supervisor);
        services.AddSingleton<RunControl>();
        services.AddSingleton<IChildLauncher>(provider => new PosixChildLauncher(provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IBudgetLedger>(_ => (IBudgetLedger?)ledger ?? new InMemoryBudgetLedger(settings.Supervisor.MaxCostCents));
        if (controlPlane is not null)
        {
            services.AddSingleton(controlPlane);
            services.AddSingleton<RunStatusTracker>();
            services.AddSingleton(provider =>
            {
                var control = provider.GetRequiredService<RunControl>();
                return new RunMetrics(settings.Workload, provider.GetRequiredService<IBudgetLedger>(), () => control.Reason == StopReason.KillSwitch);
            });
            services.AddSingleton<ControlPlaneState>();
            services.AddHostedService<MetricsPushService>();
        }

        using var host = web is not null
            ? BuildWeb(web)
            : ((HostApplicationBuilder)builder).Build();
        var provider = host.Services;
        var control = provider.GetRequiredService<RunControl>();
        using var signals = new SignalRelay(control);
        var metrics = controlPlane is null ? null : provider.GetRequiredService<RunMetrics>();
        onLedgerFault = fault =>
        {
            metrics?.LedgerError();
            log.Warning("ledger error during {Operation}: {Error}", fault.Operation, fault.Message);
        };
        await using var killWatch = ledger is null ? null : await LedgerComposition.WireKillSwitchAsync(ledger, control).ConfigureAwait(false);

        try
        {
            await host.StartAsync().ConfigureAwait(false);
        }
        catch (IOException ex) when (controlPlane?.Listen is { } endpoint)
        {
            // Kestrel's bind failure (address in use, not local): nothing has started yet.
            throw new UsageException($"--listen: cannot listen on {endpoint}: {ex.Message}");
        }
        RunResult result;
        try
        {
            var options = settings.Supervisor;
            var observers = new List<IRunObserver>();
            if (controlPlane is not null)
            {
                var state = provider.GetRequiredService<ControlPlaneState>();
                if (ledger is not null)
                {
                    state.BudgetKey = ledger.Account.Key;
                    state.FleetKill = async (reason, cancel) => await ledger.KillAsync(reason, cancel).ConfigureAwait(false);
                    state.WindowEndsAt = async cancel => (await ledger.StatusAsync(cancel).ConfigureAwait(false)).WindowEndsAt;
                }
                observers.Add(metrics!);
                observers.Add(provider.GetRequiredService<RunStatusTracker>());
                if (host is WebApplication app && ControlPlaneHost.ListeningUrl(app) is { } listening)
                {
                    log.Information("control plane listening on {Url}", listening);
                    var url = ControlPlaneHost.ReachableUrl(listening);
                    options = options with
                    {
                        ExtraEnvironment = new Dictionary<string, string>(options.ExtraEnvironment)
                        {
                            [ChildUrlVariable] = url,
                            [ChildTokenVariable] = state.ChildToken,
                        },
                    };
                }
            }
            var supervisor = new Supervisor(options, provider.GetRequiredService<IChildLauncher>(),
                provider.GetRequiredService<IBudgetLedger>(), control, provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<ILogger<Supervisor>>(), new CompositeRunObserver(observers));
            result = await supervisor.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            await host.StopAsync().ConfigureAwait(false);
        }

        if (settings.ReportPath is { } reportPath)
        {
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

        var level = result.Outcome == RunOutcome.Succeeded ? Serilog.Events.LogEventLevel.Information : Serilog.Events.LogEventLevel.Warning;
        log.Write(level, "run ended: {Outcome} (exit {ExitCode}): {Reason}; spent {SpentCents} of {BudgetCents} cents in {Attempts} attempt(s)",
            OutcomeName(result.Outcome), result.ExitCode, result.Message, result.SpentCents, result.BudgetCents, result.AttemptCount);
        return result.ExitCode;
    }

    private static WebApplication BuildWeb(WebApplicationBuilder web)
    {
        // The state needs the built container; endpoints are mapped on the built app.
        var app = web.Build();
        ControlPlaneHost.Configure(app, app.Services.GetRequiredService<ControlPlaneState>());
        return app;
    }

    private static string OutcomeName(RunOutcome outcome) =>
        System.Text.Json.JsonSerializer.Serialize(outcome, ReportJsonContext.Default.RunOutcome).Trim('"');
}
