using System.Diagnostics;
using BudgetRun.Engine.Budget;
using BudgetRun.Ledgers.Locations;
using BudgetRun.Ledgers.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Ledgers.Tests;

/// <summary>
/// Measures reservations per second with 8 concurrent clients, each reserving and settling 1 cent
/// in a loop for a fixed time: 8 ledger instances (own connections) in this process, and 8 OS
/// processes. Runs alone (<see cref="TimingCollection"/>); the figures go to the test output.
/// </summary>
[Collection(TimingCollection.Name)]
public sealed class ThroughputTests(ITestOutputHelper output)
{
    private const int Clients = 8;
    private static readonly TimeSpan _duration = TimeSpan.FromSeconds(1.5);

    [Fact]
    public async Task Sqlite_EightClients_ReserveAndSettle()
    {
        using var directory = new Scratch();
        var rate = await MeasureAsync(new SqliteLedgerLocation(directory.Path("ledger.db")));
        Assert.True(rate > 10, $"{rate:0} reservations/s");
    }

    [Fact]
    public async Task Redis_EightClients_ReserveAndSettle()
    {
        await using var server = await RedisServer.StartAsync();
        var rate = await MeasureAsync(LedgerUriParser.Parse(server.Uri, _ => null));
        Assert.True(rate > 10, $"{rate:0} reservations/s");
    }

    [Fact]
    public async Task Sqlite_EightProcesses_ReserveAndSettle()
    {
        using var directory = new Scratch();
        var rate = await MeasureProcessesAsync("sqlite:" + directory.Path("ledger.db"));
        Assert.True(rate > 10, $"{rate:0} reservations/s");
    }

    [Fact]
    public async Task Redis_EightProcesses_ReserveAndSettle()
    {
        await using var server = await RedisServer.StartAsync();
        var rate = await MeasureProcessesAsync(server.Uri);
        Assert.True(rate > 10, $"{rate:0} reservations/s");
    }

    private async Task<double> MeasureProcessesAsync(string uri)
    {
        var counts = await WorkerProcesses.RunAsync(uri, "throughput", long.MaxValue / 2, 1, Clients, _duration);
        var rate = counts.Sum() / _duration.TotalSeconds;
        output.WriteLine($"{uri.Split(':')[0]}: {Clients} processes, {counts.Sum()} reserve+settle pairs in {_duration.TotalSeconds:0.00}s = {rate:0} reservations/s");
        return rate;
    }

    private async Task<double> MeasureAsync(LedgerLocation location)
    {
        var account = new LedgerAccount("throughput", long.MaxValue / 2, BudgetWindow.None);
        var ledgers = new List<AccountLedger>();
        try
        {
            for (var i = 0; i < Clients; i++)
            {
                ledgers.Add(await LedgerFactory.OpenAsync(location, account, RunIdentity.ForCurrentProcess()));
            }
            foreach (var ledger in ledgers)
            {
                for (var i = 0; i < 20; i++) // warm up (JIT, connection) before the clock starts
                {
                    IBudgetLedger engine = ledger;
                    await engine.SettleAsync((await engine.TryReserveAsync(1, default))!, 1, default);
                }
            }
            var clock = Stopwatch.StartNew();
            var counts = await Task.WhenAll(ledgers.Select(ledger => Task.Run(async () =>
            {
                IBudgetLedger engine = ledger;
                var count = 0;
                while (clock.Elapsed < _duration)
                {
                    var reservation = await engine.TryReserveAsync(1, default) ?? throw new InvalidOperationException("refused");
                    await engine.SettleAsync(reservation, 1, default);
                    count++;
                }
                return count;
            })));
            var elapsed = clock.Elapsed;
            var total = counts.Sum();
            var rate = total / elapsed.TotalSeconds;
            Assert.Equal(total + (Clients * 20), (await ledgers[0].StatusAsync(default)).SpentCents);
            output.WriteLine($"{location.GetType().Name}: {Clients} clients, {total} reserve+settle pairs in {elapsed.TotalSeconds:0.00}s = {rate:0} reservations/s");
            return rate;
        }
        finally
        {
            foreach (var ledger in ledgers)
            {
                await ledger.DisposeAsync();
            }
        }
    }
}
