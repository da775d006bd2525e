using System.Globalization;
using BudgetRun.Cli.CommandLine;
using BudgetRun.Engine;
using BudgetRun.Engine.Processes;
using ILogger = Serilog.ILogger;

namespace BudgetRun.Cli.Hosting;

/// <summary>
/// <c>--on-end</c>: one command when the run has ended, whatever the outcome, never once per
/// attempt (systemd's OnSuccess firing twice is the cautionary tale). It runs after the report is
/// written, so it can read it, and before the run's last line. It is started by the engine's
/// launcher, in a process group of its own, so that a timeout ends its whole tree; it gets the
/// child's scrubbed environment without any attempt's variables or the child's control-plane
/// token. Whatever it does, the run's exit code stands: a failure is one log line.
/// </summary>
internal static class EndHook
{
    public const string OutcomeVariable = "BUDGET_RUN_OUTCOME";
    public const string ExitCodeVariable = "BUDGET_RUN_EXIT_CODE";
    public const string SpentCentsVariable = "BUDGET_RUN_SPENT_CENTS";
    public const string BudgetCentsVariable = "BUDGET_RUN_BUDGET_CENTS";
    public const string AttemptsVariable = "BUDGET_RUN_ATTEMPTS";

    /// <summary>The report's path, only with <c>--report</c> (and only once it was written).</summary>
    public const string ReportVariable = "BUDGET_RUN_REPORT";

    /// <summary>
    /// Runs the command with <c>/bin/sh -c</c> and returns when it and its tree are gone; cancelling
    /// <paramref name="kill"/> (a second stop signal) kills that tree at once.
    /// </summary>
    public static async Task RunAsync(EndHookSettings settings, RunResult result, string outcome, string runId, string? writtenReport,
        IReadOnlySet<string> hidden, IChildLauncher launcher, TimeProvider time, CancellationToken kill, ILogger log)
    {
        var extra = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [OutcomeVariable] = outcome,
            [ExitCodeVariable] = Text(result.ExitCode),
            [SpentCentsVariable] = Text(result.SpentCents),
            [BudgetCentsVariable] = Text(result.BudgetCents),
            [AttemptsVariable] = Text(result.AttemptCount),
        };
        if (runId.Length > 0)
        {
            extra[AttemptEnvironment.RunId] = runId;
        }
        var hiddenHere = new HashSet<string>(hidden, StringComparer.Ordinal)
        {
            RunHost.ChildUrlVariable, RunHost.ChildTokenVariable, AttemptEnvironment.Attempt, AttemptEnvironment.MaxAttempts,
            AttemptEnvironment.RemainingCents, ReportVariable,
        };
        if (runId.Length == 0)
        {
            hiddenHere.Add(AttemptEnvironment.RunId);
        }
        if (writtenReport is not null)
        {
            extra[ReportVariable] = Path.GetFullPath(writtenReport);
        }

        IChildProcess hook;
        try
        {
            hook = launcher.Start(new ChildStartInfo(["/bin/sh", "-c", settings.Command], extra, hiddenHere));
        }
        catch (ChildStartException ex)
        {
            log.Warning(LogMessages.EndHookFailed, ex.Message);
            return;
        }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(kill);
        var timeout = Task.Delay(settings.Timeout, time, cancel.Token);
        var winner = await Task.WhenAny(hook.Exited, timeout).ConfigureAwait(false);
        await cancel.CancelAsync().ConfigureAwait(false);
        if (winner != hook.Exited)
        {
            await hook.StopAsync(Signals.SIGTERM, settings.KillGrace).ConfigureAwait(false);
            await hook.SweepAsync(settings.KillGrace).ConfigureAwait(false);
            log.Warning(LogMessages.EndHookFailed, kill.IsCancellationRequested
                ? "killed with its process tree by a second stop signal"
                : $"timed out after {Durations.Format(settings.Timeout)}; its process tree was stopped");
            return;
        }
        var exit = await hook.Exited.ConfigureAwait(false);
        await hook.SweepAsync(settings.KillGrace).ConfigureAwait(false); // what it left in the background
        if (exit.Code != 0)
        {
            log.Warning(LogMessages.EndHookFailed, exit.ToString());
        }
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
