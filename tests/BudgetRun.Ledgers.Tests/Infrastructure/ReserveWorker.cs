using System.Diagnostics;
using System.Globalization;
using BudgetRun.Engine.Budget;
using BudgetRun.Ledgers.Locations;

namespace BudgetRun.Ledgers.Tests.Infrastructure;

/// <summary>
/// One worker process: opens the ledger, says <c>ready</c>, waits for the go file (so that all
/// workers start together), then reserves and settles <c>CENTS</c> until the account refuses (or,
/// given <c>SECONDS</c>, for that long), and prints <c>reserved N</c>. Exit 69 when the ledger is unavailable.
/// </summary>
internal static class ReserveWorker
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is not [var uri, var key, var limitText, var centsText, var goFile, .. var rest] || rest.Length > 1)
        {
            Console.Error.WriteLine("reserve-worker: expected LEDGER-URI KEY LIMIT-CENTS CENTS GO-FILE [SECONDS]");
            return 2;
        }
        var duration = rest is [var seconds] ? TimeSpan.FromSeconds(double.Parse(seconds, CultureInfo.InvariantCulture)) : TimeSpan.MaxValue;
        var limit = long.Parse(limitText, CultureInfo.InvariantCulture);
        var cents = long.Parse(centsText, CultureInfo.InvariantCulture);
        try
        {
            var location = LedgerUriParser.Parse(uri, Environment.GetEnvironmentVariable);
            // A race test checks that nothing is overspent, not how long a step waits: 20 workers queued
            // on one tree's lock on a busy 2-core machine can wait longer than the default 3 s.
            var patient = new LedgerOptions
            {
                BusyTimeout = TimeSpan.FromSeconds(30),
                RedisTimeout = TimeSpan.FromSeconds(30),
                PostgresTimeout = TimeSpan.FromSeconds(30),
                RewriteScript = Environment.GetEnvironmentVariable(DeclaredKeysOnly.Variable) == "1" ? DeclaredKeysOnly.Rewrite : null,
            };
            await using var ledger = await LedgerFactory.OpenAsync(location, new LedgerAccount(key, limit, BudgetWindow.None),
                RunIdentity.ForCurrentProcess(), patient);
            if (duration != TimeSpan.MaxValue)
            {
                for (var i = 0; i < 20; i++) // warm up (JIT, connection) before a timed run
                {
                    await ledger.SettleAsync((await ledger.TryReserveAsync(cents, CancellationToken.None))!, cents, CancellationToken.None);
                }
            }
            Console.Out.WriteLine("ready");
            Console.Out.Flush();
            var waited = Stopwatch.StartNew();
            while (!File.Exists(goFile))
            {
                if (waited.Elapsed > TimeSpan.FromSeconds(60))
                {
                    Console.Error.WriteLine("reserve-worker: no go file");
                    return 3;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(2), TimeProvider.System);
            }
            var count = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < duration && await ledger.TryReserveAsync(cents, CancellationToken.None) is { } reservation)
            {
                count++;
                await ledger.SettleAsync(reservation, cents, CancellationToken.None);
            }
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"reserved {count}"));
            return 0;
        }
        catch (LedgerUnavailableException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 69;
        }
    }
}
