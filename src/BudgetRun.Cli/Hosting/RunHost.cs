using BudgetRun.Cli.CommandLine;
using BudgetRun.Cli.Reporting;
using BudgetRun.Engine;
using BudgetRun.Engine.Budget;
using BudgetRun.Engine.Processes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Serilog;

namespace BudgetRun.Cli.Hosting;

/// <summary>
/// Composes one run: the engine with its launcher and ledger inside a generic host (where the
/// control plane and other services plug in), signals, the report and the final log line.
/// </summary>
internal static class RunHost
{
    public static async Task<int> RunAsync(CliSettings settings, ILogger log)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            ApplicationName = "budget-run",
            DisableDefaults = true,
        });
        builder.Services.AddSerilog(log, dispose: false);
        builder.Services.AddSingleton<IHostLifetime, NullHostLifetime>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(settings.Supervisor);
        builder.Services.AddSingleton<RunControl>();
        builder.Services.AddSingleton<IChildLauncher>(services => new PosixChildLauncher(services.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<IBudgetLedger>(_ => new InMemoryBudgetLedger(settings.Supervisor.MaxCostCents));
        builder.Services.AddSingleton<Supervisor>();

        using var host = builder.Build();
        var control = host.Services.GetRequiredService<RunControl>();
        using var signals = new SignalRelay(control);
        var supervisor = host.Services.GetRequiredService<Supervisor>();

        await host.StartAsync().ConfigureAwait(false);
        RunResult result;
        try
        {
            result = await supervisor.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            await host.StopAsync().ConfigureAwait(false);
        }

        var workload = Path.GetFileName(settings.Supervisor.Command[0]);
        if (settings.ReportPath is { } reportPath)
        {
            try
            {
                ReportWriter.Write(reportPath, RunReport.From(result, workload));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The run's result stands; a failed report is only logged.
                log.Error("could not write the report to {ReportPath}: {Error}", reportPath, ex.Message);
            }
        }

        var level = result.Outcome == RunOutcome.Succeeded ? Serilog.Events.LogEventLevel.Information : Serilog.Events.LogEventLevel.Warning;
        log.Write(level, "run ended: {Outcome} (exit {ExitCode}): {Reason}; spent {SpentCents} of {BudgetCents} cents in {Attempts} attempt(s)",
            OutcomeName(result.Outcome), result.ExitCode, result.Message, result.SpentCents, result.BudgetCents, result.Attempts.Count);
        return result.ExitCode;
    }

    private static string OutcomeName(RunOutcome outcome) =>
        System.Text.Json.JsonSerializer.Serialize(outcome, ReportJsonContext.Default.RunOutcome).Trim('"');
}
