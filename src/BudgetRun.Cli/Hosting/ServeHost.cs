using System.CommandLine;
using BudgetRun.Cli.CommandLine;
using BudgetRun.ControlPlane;
using BudgetRun.Engine;
using BudgetRun.Ledgers;
using Microsoft.AspNetCore.Builder;
using Serilog;

namespace BudgetRun.Cli.Hosting;

/// <summary>
/// <c>budget-run serve</c>: the budget service of a pod. Runs no child; serves reservations of one
/// account until SIGTERM or SIGINT, then stops cleanly (exit 0). Keeps serving while the account's
/// kill switch is engaged (reservations answer 423) and reserves again once it is released.
/// </summary>
internal static class ServeHost
{
    public static async Task<int> RunAsync(CliOptions options, ParseResult parsed, Func<string, string?> environment)
    {
        string? Flag(Option<string> option) => parsed.GetResult(option) is null ? null : parsed.GetValue(option);
        var logFormat = SettingsBinder.LogFormatOf(options, Flag);
        var limit = SettingsBinder.BudgetCents(options, Flag, environment);
        var ledgerSettings = LedgerBinder.Bind(options.BudgetKey, options.Ledger, options.BudgetWindow, options.ReservationTtl, options.LedgerTimeout,
            limit, Flag, environment, keyRequired: true, SettingsBinder.BudgetCentsGiven(options, Flag, environment),
            parsed.GetValue(options.RequireAccount))!;
        ledgerSettings = LedgerBinder.WithHistoryRetention(ledgerSettings, options.HistoryRetention, Flag)!;
        var warnings = new List<string>();
        var controlPlane = new ControlPlaneBinder(options, Flag, environment);
        var workload = Flag(options.Name) is not null ? controlPlane.Workload(["serve"]) : "budget-run-serve";
        var settings = controlPlane.Bind(workload, warnings);
        if (settings?.Listen is not { } listen)
        {
            throw new UsageException($"serve needs --listen ADDR:PORT (or {CliOptions.ListenEnv})");
        }

        if (logFormat != Logging.StderrLine.Format)
        {
            await Log.CloseAndFlushAsync().ConfigureAwait(false);
            Log.Logger = Logging.LoggingSetup.Create(logFormat);
        }
        var log = Log.Logger;
        foreach (var warning in warnings)
        {
            log.Warning("{Warning}", warning);
        }

        ListenStart.Preflight(listen);
        // Signals are handled from here on: a SIGTERM while the ledger is being opened stops serve too.
        using var control = new RunControl();
        using var lifetime = new SignalLifetime(control);
        RunMetrics? metrics = null;
        await using var ledger = await LedgerComposition.OpenAsync(ledgerSettings, fault =>
        {
            metrics?.LedgerError();
            log.Warning("ledger error during {Operation}: {Error}", fault.Operation.DisplayName(), fault.Message);
        }).ConfigureAwait(false);
        LedgerComposition.WarnAboutTerms(ledger, ledgerSettings, serve: true, log);
        metrics = new RunMetrics(workload, ledger, () => ledger.KillSwitch.Engaged, ledger);
        ledger.KillSwitchChanged += (_, state) =>
        {
            if (state.Engaged)
            {
                log.Warning("kill switch of budget {BudgetKey} engaged: reservations answer 423 until 'budget-run resume'", ledgerSettings.Account.Key);
            }
            else
            {
                log.Information("kill switch of budget {BudgetKey} released: reserving again", ledgerSettings.Account.Key);
            }
        };
        await using var watch = await ledger.WatchKillSwitchAsync(CancellationToken.None).ConfigureAwait(false);

        var sidecar = new SidecarState(ledger, metrics, workload, settings.ControlToken);
        using var host = ControlPlaneComposition.Build(settings, lifetime, log, metrics, [], app => SidecarEndpoints.Map(app, sidecar));
        await ListenStart.StartAsync(host, listen).ConfigureAwait(false);
        log.Information(LogMessages.ServingBudget, ledgerSettings.Account.Key, ledger.Name, ControlPlaneHost.ListeningUrl((WebApplication)host));
        if (settings.ControlToken is null)
        {
            log.Warning("no control token: /v1/reserve and /v1/settle accept any caller, so serve listens on loopback only ({Address})", listen.Address);
        }
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, control.StopToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        log.Information("stopping: signal received");
        await host.StopAsync().ConfigureAwait(false);
        // Reservations whose answer was lost in an outage are cancelled if the ledger answers now.
        var unfinished = await ledger.FinishUnfinishedAsync(CancellationToken.None).ConfigureAwait(false);
        if (unfinished > 0)
        {
            log.Warning("{Count} ledger update(s) could not be made before stopping because the ledger is unavailable: the reservations concerned count in full when their TTL passes", unfinished);
        }
        return ExitCodes.Success;
    }
}
