using System.Globalization;
using BudgetRun.Engine.Budget;
using BudgetRun.Ledgers.Locations;

namespace BudgetRun.Ledgers.Tests.Infrastructure;

/// <summary>
/// A process that watches an account's kill switch as a running budget-run would: says
/// <c>ready</c> once its watch has read the switch off, then prints <c>killed UNIX-MS</c> (wall
/// clock, to compare across processes) when it sees the switch engaged, and exits.
/// </summary>
internal static class KillWatcher
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is not [var uri, var key])
        {
            Console.Error.WriteLine("kill-watcher: expected LEDGER-URI KEY");
            return 2;
        }
        try
        {
            var location = LedgerUriParser.Parse(uri, Environment.GetEnvironmentVariable);
            await using var ledger = await LedgerFactory.OpenAsync(location, new LedgerAccount(key, 100, BudgetWindow.None),
                RunIdentity.ForCurrentProcess());
            var killed = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            ledger.KillSwitchChanged += (_, state) =>
            {
                if (state.Engaged)
                {
                    killed.TrySetResult(TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds());
                }
            };
            await using var watch = await ledger.WatchKillSwitchAsync(CancellationToken.None);
            await ledger.ReadKillSwitchAsync(CancellationToken.None);
            Console.Out.WriteLine("ready");
            Console.Out.Flush();
            var at = await killed.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"killed {at}"));
            return 0;
        }
        catch (LedgerUnavailableException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 69;
        }
        catch (TimeoutException)
        {
            Console.Error.WriteLine("kill-watcher: no kill within 30s");
            return 3;
        }
    }
}
