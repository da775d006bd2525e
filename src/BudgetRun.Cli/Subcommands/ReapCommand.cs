using System.CommandLine;
using System.Text;
using BudgetRun.Cli.CommandLine;
using BudgetRun.Cli.Hosting;
using BudgetRun.Cli.Logging;
using BudgetRun.Cli.Text;
using BudgetRun.Engine;
using BudgetRun.Engine.Processes;
using BudgetRun.Ledgers;

namespace BudgetRun.Cli.Subcommands;

/// <summary>
/// <c>budget-run reap [--budget-key KEY] [--state-dir DIR] [--dry-run]</c>: for every record in the
/// state directory whose budget-run is gone (SIGKILLed: any other end removes its record), kills
/// what that run left (see <see cref="LeftoverReaper"/>) and removes the record. One line per run on
/// stdout. Exit 0 when nothing of a dead run is left alive, 1 when a process survived SIGKILL (its
/// record stays for another try), 2 on a usage error (a state directory that is not this user's
/// own, 0700, is one: its records would say which processes to kill).
/// </summary>
internal static class ReapCommand
{
    public const int SurvivorsLeft = 1;

    public static async Task<int> RunAsync(CliOptions options, ParseResult parsed)
    {
        var key = parsed.GetValue(options.ReapBudgetKey);
        if (key is not null && !LedgerAccount.IsValidKey(key))
        {
            throw new UsageException($"--budget-key: '{HumanText.Escape(key)}' is not a budget key ({LedgerAccount.KeyRule})");
        }
        var given = parsed.GetValue(options.ReapStateDir);
        if (given is { Length: 0 })
        {
            throw new UsageException("--state-dir is an empty string");
        }
        var directory = given is null ? StateDirectory.Default() : Path.GetFullPath(given);
        var dryRun = parsed.GetValue(options.ReapDryRun);

        var output = new StringBuilder();
        var why = StateDirectory.WhyNotUsable(directory, create: false);
        if (why == StateDirectory.Missing)
        {
            output.Append("nothing to reap: ").Append(directory).Append(" does not exist\n");
            return await WriteAsync(output, ExitCodes.Success).ConfigureAwait(false);
        }
        if (why is not null)
        {
            throw new UsageException($"reap: the state directory cannot be trusted: {why}");
        }

        var runs = await LeftoverReaper.ReapAsync(directory, key, dryRun, TimeProvider.System, RunHost.ReapWait,
            skipped => StderrLine.Warning($"reap: ignoring {skipped}")).ConfigureAwait(false);
        var survivors = 0;
        foreach (var run in runs)
        {
            var record = run.Record;
            var what = $"run {record.RunId}" + (record.Key is { } runKey ? $" (budget key {runKey})" : "");
            if (run.SupervisorAlive)
            {
                output.Append(what).Append(": its budget-run (pid ").Append(record.SupervisorPid).Append(") still runs; left alone\n");
                continue;
            }
            var cause = $": its budget-run (pid {record.SupervisorPid}) was killed; ";
            if (dryRun)
            {
                output.Append(what).Append(cause).Append("would kill ").Append(run.Found).Append(" process(es)\n");
                continue;
            }
            output.Append(what).Append(cause).Append("killed ").Append(run.Found - run.Survivors).Append(" process(es)");
            if (run.Survivors > 0)
            {
                survivors += run.Survivors;
                output.Append("; ").Append(run.Survivors).Append(" still alive after SIGKILL (record kept)");
            }
            output.Append('\n');
        }
        if (runs.Count == 0)
        {
            output.Append("nothing to reap in ").Append(directory).Append(key is null ? "" : $" for budget key {key}").Append('\n');
        }
        return await WriteAsync(output, survivors > 0 ? SurvivorsLeft : ExitCodes.Success).ConfigureAwait(false);
    }

    private static async Task<int> WriteAsync(StringBuilder output, int exitCode)
    {
        using var stdout = StandardStream.Writer(1);
        await stdout.WriteAsync(output.ToString()).ConfigureAwait(false);
        return exitCode;
    }
}
