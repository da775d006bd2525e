using System.Diagnostics;
using System.Globalization;
using BudgetRun.Engine.Budget;
using BudgetRun.Ledgers.Locations;
using BudgetRun.Ledgers.Redis;
using BudgetRun.Ledgers.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace BudgetRun.Ledgers.Tests.Redis;

/// <summary>
/// How many commands one reservation sends, counted by the server itself (<c>INFO commandstats</c>)
/// on a redis-server of its own (MONITOR): declaring every key must not cost the normal path a round
/// trip. Every script is checked to touch only the keys it declares (<see cref="DeclaredKeysOnly"/>).
/// </summary>
public sealed class RedisRoundTripTests(ITestOutputHelper output) : IAsyncLifetime
{
    private RedisServer? _server;
    private ConnectionMultiplexer? _counter;

    private RedisServer Server => _server!;

    public async Task InitializeAsync()
    {
        _server = await RedisServer.StartAsync();
        _counter = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Server.Port}");
    }

    public async Task DisposeAsync()
    {
        if (_counter is not null)
        {
            await _counter.DisposeAsync();
        }
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Reserve_OnThreeLevels_WithNothingOverdue_IsOneScriptCall()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var org = await OpenAsync("org", clock);
        await using var team = await OpenAsync("org/team", clock);
        await using var ledger = await OpenAsync("org/team/job", clock);
        await ledger.ReserveAsync(1, default); // loads the script

        var sent = await CountAsync(() => ledger.ReserveAsync(1, default).AsTask());

        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 1 }, sent);
    }

    [Fact]
    public async Task Reserve_ThatExpiresOverdueReservations_OnThreeLevels()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var org = await OpenAsync("org2", clock);
        await using var team = await OpenAsync("org2/team", clock);
        await using var crashed = await OpenAsync("org2/team/a", clock);
        await using var ledger = await OpenAsync("org2/team/b", clock);
        await ledger.ReserveAsync(1, default);
        await crashed.ReserveAsync(10, default);
        await crashed.ReserveAsync(10, default);
        clock.Advance(TimeSpan.FromMinutes(2));

        var sent = await CountAsync(() => ledger.ReserveAsync(1, default).AsTask());

        // The first call names the three overdue reservations, one pipelined read of each, the second call reserves.
        output.WriteLine(string.Join(", ", sent.Select(pair => $"{pair.Key} {pair.Value}")));
        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 2, ["hmget"] = 3 }, sent);
        var status = await ledger.StatusAsync(default);
        Assert.Equal([21L, 21L], status.Levels!.Select(level => level.SpentCents)); // 10 + 10 + 1 expired in full on both shared levels
        Assert.Equal((1L, 1L), (status.SpentCents, status.ReservedCents));
    }

    [Fact]
    public async Task Settle_OfAReservationMadeHere_IsOneScriptCall_AndMadeElsewhere_ReadsItFirst()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var ledger = await OpenAsync("org3/team/job", clock);
        await using var other = await OpenAsync("org3/team/job", clock);
        var here = await ledger.ReserveAsync(1, default);
        var elsewhere = await ledger.ReserveAsync(1, default);
        await ledger.ReleaseByIdAsync((await ledger.ReserveAsync(1, default)).Id!, default); // loads the script
        await other.ReleaseByIdAsync((await other.ReserveAsync(1, default)).Id!, default);

        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 1 }, await CountAsync(() => ledger.SettleByIdAsync(here.Id!, 1, default).AsTask()));
        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 1, ["hmget"] = 1 },
            await CountAsync(() => other.SettleByIdAsync(elsewhere.Id!, 1, default).AsTask()));
    }

    [Fact]
    public async Task Reserve_WhoseScriptKeepsAskingForReservations_FailsClosedAfterTwentyCalls()
    {
        // A script that names a reservation (the one being made, absent) in every answer, as a ledger
        // would whose reservations expire faster than they can be read.
        var options = new LedgerOptions
        {
            RewriteScript = script => script == RedisScripts.Reserve ? "return {5, -1, 0, KEYS[1], KEYS[4]}" : script,
        };
        await using var ledger = await LedgerFactory.OpenAsync(LedgerUriParser.Parse(Server.Uri, Environment.GetEnvironmentVariable),
            new LedgerAccount("asking", 100, BudgetWindow.None), RunIdentity.ForCurrentProcess(), options);
        LedgerUnavailableException? error = null;

        var sent = await CountAsync(async () => error = await Assert.ThrowsAsync<LedgerUnavailableException>(() => ledger.ReserveAsync(1, default).AsTask()));

        Assert.Contains("kept naming more reservations to read for a reservation (20 rounds)", error!.Message, StringComparison.Ordinal);
        Assert.Equal(20, sent.GetValueOrDefault("evalsha") + sent.GetValueOrDefault("eval"));
        Assert.Equal(19, sent["hmget"]);
    }

    private ValueTask<AccountLedger> OpenAsync(string key, FakeTimeProvider clock) =>
        LedgerFactory.OpenAsync(LedgerUriParser.Parse(Server.Uri, Environment.GetEnvironmentVariable), new LedgerAccount(key, 100, BudgetWindow.None),
            RunIdentity.ForCurrentProcess(), DeclaredKeysOnly.Options(new LedgerOptions { ClientClock = true, ReservationTtl = TimeSpan.FromMinutes(1) }), clock);

    /// <summary>
    /// The commands clients sent during <paramref name="step"/>, by name, as MONITOR shows them
    /// (commands run by scripts, shown as "lua", left out); markers sent around the step bound it.
    /// </summary>
    private async Task<Dictionary<string, long>> CountAsync(Func<Task> step)
    {
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var monitor = Process.Start(new ProcessStartInfo("redis-cli", ["-p", Server.Port.ToString(CultureInfo.InvariantCulture), "monitor"])
        {
            RedirectStandardOutput = true,
        })!;
        monitor.OutputDataReceived += (_, e) => lines.Enqueue(e.Data ?? "");
        monitor.BeginOutputReadLine();
        try
        {
            var marker = Guid.NewGuid().ToString("N");
            await MarkAsync(lines, marker + "-start");
            await step();
            await MarkAsync(lines, marker + "-end");
            var start = lines.First(line => line.Contains(marker + "-start", StringComparison.Ordinal));
            var counter = start[start.IndexOf('[', StringComparison.Ordinal)..(start.IndexOf(']', StringComparison.Ordinal) + 1)];
            return lines.SkipWhile(line => line != start).Skip(1)
                .TakeWhile(line => !line.Contains(marker + "-end", StringComparison.Ordinal))
                .Where(line => !line.Contains(" lua] ", StringComparison.Ordinal) && !line.Contains(counter, StringComparison.Ordinal)
                    && line.Contains('"', StringComparison.Ordinal))
                .Select(line => line[(line.IndexOf('"', StringComparison.Ordinal) + 1)..].Split('"')[0].ToLowerInvariant())
                .GroupBy(name => name).ToDictionary(group => group.Key, group => (long)group.Count());
        }
        finally
        {
            monitor.Kill();
        }
    }

    /// <summary>Sends a marker until MONITOR has shown it (it starts listening a moment after it starts).</summary>
    private async Task MarkAsync(System.Collections.Concurrent.ConcurrentQueue<string> lines, string marker)
    {
        var database = _counter!.GetDatabase();
        do
        {
            await database.ExecuteAsync("ECHO", marker);
        }
        while (!await Wait.ForAsync(() => lines.Any(line => line.Contains(marker, StringComparison.Ordinal)), TimeSpan.FromSeconds(2)));
    }
}
