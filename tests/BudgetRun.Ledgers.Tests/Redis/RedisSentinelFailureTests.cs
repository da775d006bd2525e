using System.Diagnostics;
using BudgetRun.Engine.Budget;
using BudgetRun.Ledgers.Locations;
using BudgetRun.Ledgers.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Ledgers.Tests.Redis;

/// <summary>
/// The Redis ledger through Sentinel when the primary moves or goes: each test owns its setup
/// (primary, replica, three sentinels). A failover in the middle of reserve and settle traffic
/// loses no charge and charges nothing twice (the kept updates are made again on the new primary),
/// the store follows the new primary by itself, and a write no replica confirmed fails closed.
/// </summary>
[Collection(RedisSentinelCollection.Name)]
public sealed class RedisSentinelFailureTests(ITestOutputHelper output)
{
    private const string Key = "sentinel-team/openai";
    /// <summary>Where the account keeps its all-time bucket (the same layout as a single server).</summary>
    private const string BucketHash = "budget-run:{sentinel-team}/openai:b:all";
    private const long Limit = 1_000_000;
    private readonly List<LedgerFault> _faults = [];

    [Fact]
    public async Task FailoverDuringReserveAndSettleTraffic_LosesNoCharge_ChargesNothingTwice_AndFollowsTheNewPrimary()
    {
        await using var sentinel = await RedisSentinel.StartAsync();
        await using var ledger = await OpenAsync(sentinel.Uri);
        var old = sentinel.Primary.Port;

        var traffic = await RunTrafficAsync(ledger, async () => await sentinel.FailoverAsync());

        var primary = sentinel.Primary.Port;
        Assert.NotEqual(old, primary);
        await AssertEveryChargeCountedOnceAsync(ledger, traffic, sentinel, primary);
    }

    [Fact]
    public async Task PrimaryCrashDuringTraffic_LosesNoCharge_ChargesNothingTwice_AndFollowsTheNewPrimary()
    {
        await using var sentinel = await RedisSentinel.StartAsync();
        await using var ledger = await OpenAsync(sentinel.Uri);
        var old = sentinel.Primary;

        // The promoted replica has no replica of its own until the crashed server comes back (empty,
        // as a replica): until then every write fails closed, since a second failover would lose it.
        var traffic = await RunTrafficAsync(ledger, async () =>
        {
            await sentinel.KillPrimaryAsync();
            await sentinel.RejoinAsync(old);
        });

        var primary = sentinel.Primary.Port;
        Assert.NotEqual(old.Port, primary);
        await AssertEveryChargeCountedOnceAsync(ledger, traffic, sentinel, primary);
    }

    [Fact]
    public async Task SettleNoReplicaConfirmed_ThenThePrimaryCrashes_IsChargedOnceOnTheNewPrimary()
    {
        // The failover gap: the old primary made the settle and no replica confirmed it, so the
        // promoted replica lacks it. The kept settle is made again with its nonce: charged on a new
        // primary that lacks it (a no-op on one that has it); once either way.
        await using var sentinel = await RedisSentinel.StartAsync();
        await using var ledger = await OpenAsync(sentinel.Uri);
        IBudgetLedger engine = ledger;
        var running = (await engine.TryReserveAsync(7, default))!;
        var (old, replica) = (sentinel.Primary, sentinel.Replica);

        // The replica is frozen and the primary drops its link to it, so the settle below reaches
        // no replica (not even a socket buffer the frozen replica would read once it wakes).
        replica.Pause();
        sentinel.Cli(old.Port, "client", "kill", "type", "replica");
        var unconfirmed = await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await engine.SettleAsync(running, 5, default));
        Assert.Contains("no replica confirmed the write", unconfirmed.Message, StringComparison.Ordinal);
        Assert.Equal(1, ledger.UnfinishedCount);
        old.Kill();
        replica.Continue();
        var promoted = await sentinel.WaitForPrimaryAsync(replica);
        await sentinel.RejoinAsync(old);
        var state = sentinel.Cli(promoted.Port, "hget", $"budget-run:{{sentinel-team}}/openai:r:{running.Id}", "state").Trim();
        Assert.Equal("open", state); // the settle the old primary made is lost with it

        var clock = Stopwatch.StartNew();
        while (await engine.FinishUnfinishedAsync(default) > 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the kept settle never finished");
            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System);
        }
        await engine.SettleAsync(running, 5, default); // a caller's retry: nothing more
        Assert.Equal((5L, 0L), Numbers(await ledger.StatusAsync(default)));
        Assert.Equal("5", sentinel.Cli(promoted.Port, "hget", BucketHash, "spent").Trim());
        await AssertHistoryEqualsAccountAsync(ledger);
    }

    [Fact]
    public async Task ReplicaDown_WritesFailClosed_NoAttemptStarts_AndTheUnconfirmedReservationIsCancelledLater()
    {
        await using var sentinel = await RedisSentinel.StartAsync();
        await using var ledger = await OpenAsync(sentinel.Uri);
        IBudgetLedger engine = ledger;
        var done = (await engine.TryReserveAsync(7, default))!;
        await engine.SettleAsync(done, 7, default);
        var running = (await engine.TryReserveAsync(7, default))!;

        sentinel.Replica.Kill();

        var refused = await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await engine.TryReserveAsync(7, default));
        var settle = await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await engine.SettleAsync(running, 5, default));
        output.WriteLine(refused.Message);
        Assert.Equal($"ledger {sentinel.Uri} is unavailable: no replica confirmed the write within 1000 ms (WAIT 1), so a failover could lose it: not counted as done",
            refused.Message);
        Assert.Equal(refused.Message, settle.Message);
        Assert.Equal(2, ledger.UnfinishedCount); // the unconfirmed reservation's cancellation, and the settle

        await sentinel.RejoinAsync(sentinel.Replica);
        Assert.Equal(0, await engine.FinishUnfinishedAsync(default));

        Assert.Equal((12L, 0L), Numbers(await ledger.StatusAsync(default))); // 7 + 5, and the refused reservation holds nothing
        await AssertHistoryEqualsAccountAsync(ledger);
    }

    [Fact]
    public async Task PrimaryDownWithNoReplicaToPromote_FailsClosed_AtOnceAndAtOpen()
    {
        await using var sentinel = await RedisSentinel.StartAsync();
        await using var ledger = await OpenAsync(sentinel.Uri);
        IBudgetLedger engine = ledger;
        var running = (await engine.TryReserveAsync(7, default))!;

        sentinel.Replica.Kill();
        sentinel.Primary.Kill();

        var refused = await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await engine.TryReserveAsync(7, default));
        await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await engine.SettleAsync(running, 7, default));
        var clock = Stopwatch.StartNew();
        var atOpen = await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await OpenAsync(sentinel.Uri));
        output.WriteLine(refused.Message);
        output.WriteLine($"{atOpen.Message} (after {clock.Elapsed.TotalMilliseconds:0} ms)");
        Assert.StartsWith($"ledger {sentinel.Uri} is unavailable: ", refused.Message, StringComparison.Ordinal);
        Assert.Equal($"ledger {sentinel.Uri} is unavailable: cannot reach a primary of the service '{RedisSentinel.ServiceName}' through the sentinels",
            atOpen.Message);
        // The settle waits for a primary; so does the refused reservation's cancellation when the
        // request may have been sent (a connection lost under it, not one never made).
        Assert.InRange(ledger.UnfinishedCount, 1, 2);
        Assert.Contains(_faults, fault => fault.Operation == LedgerOperation.Open);
    }

    [Fact]
    public async Task Password_ReachesTheSentinelsAndTheServers_AndAWrongOneFailsClosedWithoutShowingIt()
    {
        await using var sentinel = await RedisSentinel.StartAsync(password: "correct-horse-battery");

        var error = await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await OpenAsync(sentinel.Uri, "wrong-staple-1234"));
        await using var ledger = await OpenAsync(sentinel.Uri, "correct-horse-battery");

        output.WriteLine(error.Message);
        Assert.Equal($"ledger {sentinel.Uri} is unavailable: the server refused the password (check BUDGET_RUN_REDIS_PASSWORD)", error.Message);
        Assert.DoesNotContain("wrong-staple", error.ToString(), StringComparison.Ordinal);
        Assert.All(_faults, fault => Assert.DoesNotContain("wrong-staple", fault.Message, StringComparison.Ordinal));
        Assert.Equal(ReserveStatus.Reserved, (await ledger.ReserveAsync(7, default)).Status);
    }

    /// <summary>
    /// Reserves and settles in a loop, runs <paramref name="disruption"/> after a while, and goes on
    /// until it has finished and 30 more steps succeeded. A step whose reservation fails starts
    /// nothing; a granted one always incurs its cost, whether or not its settle is answered.
    /// </summary>
    private async Task<Traffic> RunTrafficAsync(AccountLedger ledger, Func<Task> disruption)
    {
        IBudgetLedger engine = ledger;
        var traffic = new Traffic();
        Task? moving = null;
        var afterwards = 0;
        var clock = Stopwatch.StartNew();
        for (var step = 0; afterwards < 30; step++)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"the traffic did not recover: {traffic}");
            if (step == 30)
            {
                moving = Task.Run(disruption);
            }
            Reservation? reservation;
            try
            {
                reservation = await engine.TryReserveAsync(7, default);
            }
            catch (LedgerUnavailableException)
            {
                traffic.Refused++;
                traffic.FirstRefusal ??= clock.Elapsed;
                traffic.LastRefusal = clock.Elapsed;
                await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System);
                continue;
            }
            Assert.NotNull(reservation);
            traffic.Granted++;
            var cost = 1 + (step % 7);
            traffic.Incurred += cost;
            try
            {
                await engine.SettleAsync(reservation, cost, default);
            }
            catch (LedgerUnavailableException)
            {
                traffic.SettlesKept++;
            }
            if (moving is { IsCompleted: true })
            {
                await moving; // its failure fails the test
                afterwards++;
            }
        }
        output.WriteLine(traffic.ToString());
        output.WriteLine($"faults: {string.Join(" | ", _faults.Select(f => f.Message).Distinct().Take(6))}");
        Assert.True(traffic.Refused + traffic.SettlesKept > 0, "the disruption never reached the ledger");
        return traffic;
    }

    private async Task AssertEveryChargeCountedOnceAsync(AccountLedger ledger, Traffic traffic, RedisSentinel sentinel, int primary)
    {
        IBudgetLedger engine = ledger;
        var clock = Stopwatch.StartNew();
        while (await engine.FinishUnfinishedAsync(default) > 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"{ledger.UnfinishedCount} kept updates never finished");
            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System);
        }
        Assert.Equal((traffic.Incurred, 0L), Numbers(await ledger.StatusAsync(default))); // nothing lost, nothing doubled, nothing held
        await AssertHistoryEqualsAccountAsync(ledger);
        // The store writes to the new primary: the account is there, with every charge.
        Assert.Equal(traffic.Incurred.ToString(System.Globalization.CultureInfo.InvariantCulture),
            sentinel.Cli(primary, "hget", BucketHash, "spent").Trim());
    }

    /// <summary>The history's spent and reserved deltas add up to the account's spent and reserved.</summary>
    private static async Task AssertHistoryEqualsAccountAsync(AccountLedger ledger)
    {
        var history = await ledger.HistoryAsync(DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue.AddDays(-1), null, 10_000, default);
        var status = await ledger.StatusAsync(default);
        Assert.Equal((status.SpentCents, status.ReservedCents), (history.Sum(e => e.SpentDeltaCents), history.Sum(e => e.ReservedDeltaCents)));
    }

    private async Task<AccountLedger> OpenAsync(string uri, string? password = null)
    {
        var location = LedgerUriParser.Parse(uri, name => name == LedgerUriParser.PasswordVariable ? password : null);
        var options = new LedgerOptions { RedisTimeout = TimeSpan.FromSeconds(2), OnFault = Record };
        return await LedgerFactory.OpenAsync(location, new LedgerAccount(Key, Limit, BudgetWindow.None), RunIdentity.ForCurrentProcess(), options);
    }

    private static (long Spent, long Reserved) Numbers(AccountStatus status) => (status.SpentCents, status.ReservedCents);

    private void Record(LedgerFault fault)
    {
        lock (_faults)
        {
            _faults.Add(fault);
        }
    }

    /// <summary>What the traffic did: reservations granted and refused, the cost the granted ones incurred, settles kept for later.</summary>
    private sealed class Traffic
    {
        public int Granted { get; set; }

        public int Refused { get; set; }

        public long Incurred { get; set; }

        public int SettlesKept { get; set; }

        public TimeSpan? FirstRefusal { get; set; }

        public TimeSpan LastRefusal { get; set; }

        public override string ToString() =>
            $"granted {Granted}, refused {Refused} (failed closed) over {(LastRefusal - (FirstRefusal ?? LastRefusal)).TotalMilliseconds:0} ms, "
            + $"settles kept {SettlesKept}, incurred {Incurred} cents";
    }
}
