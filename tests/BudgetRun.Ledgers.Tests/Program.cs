using BudgetRun.Ledgers.Tests.Infrastructure;

namespace BudgetRun.Ledgers.Tests;

/// <summary>
/// The test assembly run as a console (<c>dotnet BudgetRun.Ledgers.Tests.dll VERB ...</c>): one more
/// OS process using a shared ledger, for the multi-process tests (<see cref="ReserveWorker"/>,
/// <see cref="KillWatcher"/>).
/// </summary>
internal static class Program
{
    public static Task<int> Main(string[] args) => args switch
    {
        ["reserve-worker", .. var rest] => ReserveWorker.RunAsync(rest),
        ["kill-watcher", .. var rest] => KillWatcher.RunAsync(rest),
        _ => Task.FromResult(Usage()),
    };

    private static int Usage()
    {
        Console.Error.WriteLine("usage: BudgetRun.Ledgers.Tests reserve-worker LEDGER-URI KEY LIMIT-CENTS CENTS GO-FILE [SECONDS]");
        Console.Error.WriteLine("       BudgetRun.Ledgers.Tests kill-watcher LEDGER-URI KEY");
        return 2;
    }
}
