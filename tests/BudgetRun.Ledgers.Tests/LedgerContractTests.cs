using System.Diagnostics;
using BudgetRun.Engine.Budget;
using BudgetRun.Ledgers.Locations;
using BudgetRun.Ledgers.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace BudgetRun.Ledgers.Tests;

/// <summary>
/// What every ledger promises, run against each real one (<see cref="Sqlite.SqliteLedgerTests"/>,
/// <see cref="Redis.RedisLedgerTests"/>, <see cref="Postgres.PostgresLedgerTests"/>). Each test has its own account key; a second ledger
/// instance (its own connection) stands in for a second process, and the multi-process test runs
/// real OS processes.
/// </summary>
public abstract partial class LedgerContractTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly DateTimeOffset _lateEvening = new(2026, 3, 1, 23, 59, 0, TimeSpan.Zero);
    private readonly List<AccountLedger> _opened = [];

    protected ITestOutputHelper Output { get; } = output;

    protected string Key { get; } = "team-" + Guid.NewGuid().ToString("N")[..8] + "/openai";

    protected abstract string LedgerUri { get; }

    private protected LedgerLocation Location => LedgerUriParser.Parse(LedgerUri, Environment.GetEnvironmentVariable);

    [Fact]
    public async Task Reserve_ThenSettleLower_ChargesTheRealCost()
    {
        var ledger = await OpenAsync();

        var reserved = await ledger.ReserveAsync(30, default);
        Assert.Equal(ReserveStatus.Reserved, reserved.Status);
        Assert.Equal(new AccountStatus(Key, 100, 0, 30, 70, null, false, null), reserved.Account);

        Assert.Equal(SettleOutcome.Settled, await ledger.SettleByIdAsync(reserved.Id!, 20, default));
        Assert.Equal(new AccountStatus(Key, 100, 20, 0, 80, null, false, null), await ledger.StatusAsync(default));
    }

    [Fact]
    public async Task Settle_HigherThanReserved_IsRecordedAndNeverRefused()
    {
        var ledger = await OpenAsync();
        var reserved = await ledger.ReserveAsync(30, default);

        Assert.Equal(SettleOutcome.Settled, await ledger.SettleByIdAsync(reserved.Id!, 130, default));

        var status = await ledger.StatusAsync(default);
        Assert.Equal((130L, 0L, 0L), (status.SpentCents, status.ReservedCents, status.RemainingCents!.Value));
        Assert.Equal(ReserveStatus.Insufficient, (await ledger.ReserveAsync(1, default)).Status);
    }

    [Fact]
    public async Task ZeroCentReservation_SettlesAndReleases()
    {
        // A run with --cost-per-attempt-cents 0 reserves nothing but still settles (Redis once
        // failed here: Lua's -0 reached HINCRBY as "-0").
        var ledger = await OpenAsync();
        var settled = await ledger.ReserveAsync(0, default);
        var released = await ledger.ReserveAsync(0, default);

        Assert.Equal(SettleOutcome.Settled, await ledger.SettleByIdAsync(settled.Id!, 0, default));
        Assert.Equal(SettleOutcome.Settled, await ledger.ReleaseByIdAsync(released.Id!, default));
        Assert.Equal(new AccountStatus(Key, 100, 0, 0, 100, null, false, null), await ledger.StatusAsync(default));
    }

    [Fact]
    public async Task Cancel_OfAReservationThatWasMade_ReleasesIt()
    {
        // A reservation whose answer was lost (a timeout) but which the store made all the same.
        var ledger = await OpenAsync();
        var id = Guid.NewGuid().ToString("N");
        Assert.Equal(ReserveStatus.Reserved, (await ledger.ReserveAsync(30, id, default)).Status);

        Assert.Equal(SettleOutcome.Settled, await ledger.CancelByIdAsync(id, default));

        Assert.Equal(new AccountStatus(Key, 100, 0, 0, 100, null, false, null), await ledger.StatusAsync(default));
        Assert.Equal(ReservationState.Released, (await ledger.GetReservationAsync(id, default))!.State);
    }

    [Fact]
    public async Task Cancel_BeforeTheReservationArrives_MakesTheLateRequestReserveNothing()
    {
        // The request is still on its way (a paused server, a dropped connection replayed): the
        // cancellation is recorded first, and the request, when it lands, is a replay.
        var ledger = await OpenAsync();
        var id = Guid.NewGuid().ToString("N");

        Assert.Equal(SettleOutcome.NotFound, await ledger.CancelByIdAsync(id, default));
        await ledger.ReserveAsync(30, id, default);

        Assert.Equal(new AccountStatus(Key, 100, 0, 0, 100, null, false, null), await ledger.StatusAsync(default));
        Assert.Equal(ReservationState.Released, (await ledger.GetReservationAsync(id, default))!.State);
        Assert.Equal(ReserveStatus.Reserved, (await ledger.ReserveAsync(100, default)).Status); // all of it is still there
    }

    [Fact]
    public async Task Release_GivesTheReservationBack()
    {
        var ledger = await OpenAsync();
        var reserved = await ledger.ReserveAsync(60, default);

        Assert.Equal(SettleOutcome.Settled, await ledger.ReleaseByIdAsync(reserved.Id!, default));

        Assert.Equal(new AccountStatus(Key, 100, 0, 0, 100, null, false, null), await ledger.StatusAsync(default));
        Assert.Equal(ReserveStatus.Reserved, (await ledger.ReserveAsync(100, default)).Status);
    }

    [Fact]
    public async Task Reserve_WhenItDoesNotFit_IsInsufficientAndChangesNothing()
    {
        var ledger = await OpenAsync();
        await ledger.ReserveAsync(93, default);

        var refused = await ledger.ReserveAsync(8, default);

        Assert.Equal(ReserveStatus.Insufficient, refused.Status);
        Assert.Null(refused.Id);
        Assert.Equal(new AccountStatus(Key, 100, 0, 93, 7, null, false, null), refused.Account);
        Assert.Equal(ReserveStatus.Reserved, (await ledger.ReserveAsync(7, default)).Status);
    }

    [Fact]
    public async Task SettleTwice_IsAConflict_AndAnUnknownIdIsNotFound()
    {
        var ledger = await OpenAsync();
        var other = await OpenAsync(key: Key + "-other");
        var reserved = await ledger.ReserveAsync(10, default);
        await ledger.SettleByIdAsync(reserved.Id!, 10, default);

        Assert.Equal(SettleOutcome.AlreadySettled, await ledger.SettleByIdAsync(reserved.Id!, 10, default));
        Assert.Equal(SettleOutcome.AlreadySettled, await ledger.ReleaseByIdAsync(reserved.Id!, default));
        Assert.Equal(SettleOutcome.NotFound, await ledger.SettleByIdAsync("no-such-reservation", 10, default));
        Assert.Equal(SettleOutcome.NotFound, await other.SettleByIdAsync(reserved.Id!, 10, default)); // another account's id
        Assert.Equal(10, (await ledger.StatusAsync(default)).SpentCents);
    }

    [Fact]
    public async Task EngineInterface_ReservesSettlesReleasesAndRecordsSpend()
    {
        IBudgetLedger ledger = await OpenAsync();

        var first = await ledger.TryReserveAsync(40, default);
        var second = await ledger.TryReserveAsync(40, default);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.False(await ledger.FitsAsync(21, default));
        Assert.Null(await ledger.TryReserveAsync(21, default));

        await ledger.SettleAsync(first, 35, default);
        await ledger.ReleaseAsync(second, default);
        var afterSpend = await ledger.RecordSpendAsync(15, default);

        Assert.Equal(new BudgetSnapshot(100, 50, 0), afterSpend);
        Assert.Equal(new BudgetSnapshot(100, 50, 0), await ledger.SnapshotAsync(default));
        Assert.True(await ledger.FitsAsync(50, default));
        Assert.Equal(50, afterSpend.RemainingCents);
    }

    [Fact]
    public async Task Reopening_TheLedger_KeepsSpendAndOpenReservations()
    {
        var before = await OpenAsync();
        var settled = await before.ReserveAsync(25, default);
        await before.SettleByIdAsync(settled.Id!, 25, default);
        var open = await before.ReserveAsync(30, default);
        await before.DisposeAsync();

        var after = await OpenAsync();

        Assert.Equal(new AccountStatus(Key, 100, 25, 30, 45, null, false, null), await after.StatusAsync(default));
        Assert.Equal(SettleOutcome.Settled, await after.SettleByIdAsync(open.Id!, 30, default));
        Assert.Equal(SettleOutcome.AlreadySettled, await after.SettleByIdAsync(settled.Id!, 25, default));
        Assert.Equal(55, (await after.StatusAsync(default)).SpentCents);
    }

    [Fact]
    public async Task WindowRollOver_StartsEmpty_AndChargesEachReservationToItsOwnWindow()
    {
        var time = new FakeTimeProvider(_lateEvening);
        var day = BudgetWindow.FromSeconds(86_400);
        var ledger = await OpenAsync(window: day, time: time);
        var lastMinute = await ledger.ReserveAsync(60, default);
        Assert.Equal(ReserveStatus.Insufficient, (await ledger.ReserveAsync(50, default)).Status);
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero), lastMinute.Account.WindowEndsAt);

        time.Advance(TimeSpan.FromMinutes(2)); // 00:01 UTC: a new window
        var nextDay = await ledger.ReserveAsync(50, default);
        Assert.Equal(ReserveStatus.Reserved, nextDay.Status);
        Assert.Equal(new AccountStatus(Key, 100, 0, 50, 50, new DateTimeOffset(2026, 3, 3, 0, 0, 0, TimeSpan.Zero), false, null),
            nextDay.Account);

        // The attempt that started before midnight ends after it: its cost stays in its own window.
        await ledger.SettleByIdAsync(lastMinute.Id!, 60, default);
        Assert.Equal(0, (await ledger.StatusAsync(default)).SpentCents);
        Assert.Equal(60, (await ledger.GetReservationAsync(lastMinute.Id!, default))!.SettledCents);
        Assert.Equal(day.BucketAt(_lateEvening), (await ledger.GetReservationAsync(lastMinute.Id!, default))!.Bucket);
    }

    [Fact]
    public async Task ClockJumpingAcrossWindows_ChargesEachWindowOnceAndSkipsNone()
    {
        var time = new FakeTimeProvider(_lateEvening);
        var hour = BudgetWindow.FromSeconds(3600);
        var ledger = await OpenAsync(window: hour, time: time);
        var buckets = new HashSet<string>();

        for (var i = 0; i < 4; i++)
        {
            var reserved = await ledger.ReserveAsync(90, default);
            Assert.Equal(ReserveStatus.Reserved, reserved.Status); // every hour starts empty
            await ledger.SettleByIdAsync(reserved.Id!, 90, default);
            Assert.Equal(90, (await ledger.StatusAsync(default)).SpentCents); // and is charged once
            buckets.Add((await ledger.GetReservationAsync(reserved.Id!, default))!.Bucket);
            time.Advance(TimeSpan.FromMinutes(61)); // a jump across one boundary (and once across two)
        }
        time.Advance(TimeSpan.FromDays(3));

        Assert.Equal(4, buckets.Count);
        var status = await ledger.StatusAsync(default);
        Assert.Equal((0L, 0L, 100L), (status.SpentCents, status.ReservedCents, status.RemainingCents!.Value));
        Assert.Equal(hour.EndsAt(time.GetUtcNow()), status.WindowEndsAt);
    }

    [Fact]
    public async Task UnsettledReservation_ExpiresAfterTheTtl_AndCountsAsSpentInFull()
    {
        var time = new FakeTimeProvider(_lateEvening);
        var ledger = await OpenAsync(time: time, options: new LedgerOptions { ReservationTtl = TimeSpan.FromMinutes(15) });
        var abandoned = await ledger.ReserveAsync(40, default); // its supervisor dies here

        time.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal((0L, 40L), Numbers(await ledger.StatusAsync(default)));
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal((40L, 0L), Numbers(await ledger.StatusAsync(default)));

        var next = await ledger.ReserveAsync(60, default); // sweeps the expired one for good
        Assert.Equal(ReserveStatus.Reserved, next.Status);
        Assert.Equal(ReserveStatus.Insufficient, (await ledger.ReserveAsync(1, default)).Status);
        Assert.Equal(ReservationState.Expired, (await ledger.GetReservationAsync(abandoned.Id!, default))!.State);
    }

    [Fact]
    public async Task ExpiredReservation_SettledLate_IsCorrectedToTheRealCost()
    {
        var time = new FakeTimeProvider(_lateEvening);
        var ledger = await OpenAsync(time: time, options: new LedgerOptions { ReservationTtl = TimeSpan.FromMinutes(15) });
        var longAttempt = await ledger.ReserveAsync(40, default);
        time.Advance(TimeSpan.FromMinutes(20));
        await ledger.ReserveAsync(5, default); // the sweep turns it into spend

        Assert.Equal(SettleOutcome.Settled, await ledger.SettleByIdAsync(longAttempt.Id!, 12, default));
        Assert.Equal((12L, 5L), Numbers(await ledger.StatusAsync(default)));
        Assert.Equal(SettleOutcome.AlreadySettled, await ledger.SettleByIdAsync(longAttempt.Id!, 12, default));
    }

    [Fact]
    public async Task Reservation_RecordsTheRunThatMadeIt()
    {
        var run = new RunIdentity("run-42", 4242, "worker-7");
        var ledger = await OpenAsync(run: run);

        var reserved = await ledger.ReserveAsync(7, default);
        var info = await ledger.GetReservationAsync(reserved.Id!, default);

        Assert.NotNull(info);
        Assert.Equal(run, info.Run);
        Assert.Equal((7L, ReservationState.Open, (long?)null), (info.Cents, info.State, info.SettledCents));
        Assert.Null(await ledger.GetReservationAsync("unknown", default));
    }

    [Fact]
    public async Task Kill_RefusesReservations_AndKillAndResumeAreIdempotent()
    {
        var ledger = await OpenAsync();
        var killed = new List<KillSwitchState>();
        ledger.KillSwitchChanged += (_, state) => killed.Add(state);

        Assert.True(await ledger.KillAsync("cost spike", default));
        Assert.False(await ledger.KillAsync("cost spike", default));
        var refused = await ledger.ReserveAsync(1, default);
        Assert.Equal(ReserveStatus.Killed, refused.Status);
        Assert.Equal((true, "cost spike"), (refused.Account.KillSwitch, refused.Account.KillReason));
        Assert.Null(await ((IBudgetLedger)ledger).TryReserveAsync(1, default));
        Assert.False(await ((IBudgetLedger)ledger).FitsAsync(1, default));
        Assert.Equal(0, (await ledger.StatusAsync(default)).ReservedCents);

        Assert.True(await ledger.ResumeAsync(default));
        Assert.False(await ledger.ResumeAsync(default));
        Assert.Equal(ReserveStatus.Reserved, (await ledger.ReserveAsync(1, default)).Status);
        Assert.Equal([true, false], killed.Select(s => s.Engaged));
        Assert.Equal("cost spike", killed[0].Reason);
    }

    [Fact]
    public async Task KillSwitch_ReachesAnotherLedgerWithinOneSecond_AndResumeToo()
    {
        var admin = await OpenAdminAsync();
        var runner = await OpenAsync();
        var engaged = new TaskCompletionSource<KillSwitchState>(TaskCreationOptions.RunContinuationsAsynchronously);
        var released = new TaskCompletionSource<KillSwitchState>(TaskCreationOptions.RunContinuationsAsynchronously);
        runner.KillSwitchChanged += (_, state) => (state.Engaged ? engaged : released).TrySetResult(state);
        await using var watch = await runner.WatchKillSwitchAsync(default);
        await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System); // the first poll has seen it off

        var clock = Stopwatch.StartNew();
        await admin.KillAsync("runaway agent", default);
        var seen = await engaged.Task.WaitAsync(TimeSpan.FromSeconds(1));
        var killLatency = clock.Elapsed;
        Assert.Equal("runaway agent", seen.Reason);

        clock.Restart();
        await admin.ResumeAsync(default);
        await released.Task.WaitAsync(TimeSpan.FromSeconds(1));
        var resumeLatency = clock.Elapsed;
        Output.WriteLine($"{Location.GetType().Name}: kill seen by the other ledger after {killLatency.TotalMilliseconds:0.0} ms, resume after {resumeLatency.TotalMilliseconds:0.0} ms");
    }

    [Fact]
    public async Task KillSwitch_ReachesAnotherProcessWithinOneSecond()
    {
        var admin = await OpenAdminAsync();

        var latency = await WorkerProcesses.MeasureKillPropagationAsync(LedgerUri, Key, async () => await admin.KillAsync("budget review", default));

        Output.WriteLine($"{Location.GetType().Name}: kill seen by another process after {latency.TotalMilliseconds:0} ms");
        Assert.InRange(latency, TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Status_WithoutLimitOrWindow_ShowsTheStoredTerms()
    {
        var time = new FakeTimeProvider(_lateEvening);
        var run = await OpenAsync(limit: 500, window: BudgetWindow.FromSeconds(86_400), time: time);
        await run.ReserveAsync(70, default);

        var admin = await OpenAdminAsync(time);
        var status = await admin.StatusAsync(default);

        Assert.Equal(new AccountStatus(Key, 500, 0, 70, 430, new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero), false, null), status);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await admin.ReserveAsync(1, default));
    }

    [Fact]
    public async Task Status_OfAnAccountNeverUsed_HasNoLimit()
    {
        var admin = await OpenAdminAsync();

        Assert.Equal(new AccountStatus(Key, null, 0, 0, null, null, false, null), await admin.StatusAsync(default));
    }

    [Fact]
    public async Task ManyConcurrentClients_NeverReserveMoreThanTheLimit()
    {
        var clients = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => OpenAsync()));

        var counts = await Task.WhenAll(clients.Select(client => Task.Run(async () =>
        {
            var count = 0;
            while (await ((IBudgetLedger)client).TryReserveAsync(7, default) is { } reservation)
            {
                count++;
                await ((IBudgetLedger)client).SettleAsync(reservation, 7, default);
            }
            return count;
        })));

        Assert.Equal(14, counts.Sum()); // 14 × 7 = 98 ≤ 100 < 15 × 7
        Assert.Equal((98L, 0L), Numbers(await clients[0].StatusAsync(default)));
    }

    [Fact]
    public async Task SeveralProcesses_NeverReserveMoreThanTheLimit()
    {
        var counts = await WorkerProcesses.RunAsync(LedgerUri, Key, limitCents: 100, cents: 7, workers: 5, environment: WorkerEnvironment);

        Output.WriteLine($"reservations per process: {string.Join(", ", counts)}");
        Assert.Equal(14, counts.Sum());
        Assert.Equal((98L, 0L), Numbers(await (await OpenAsync()).StatusAsync(default)));
    }

    [Fact]
    public async Task Open_OfAMissingAccount_CreatesItWithTheRunsTerms()
    {
        var run = await OpenAsync(limit: 70, window: BudgetWindow.FromSeconds(3600));

        Assert.Equal(new AccountTerms(70, BudgetWindow.FromSeconds(3600)), run.Terms);
        Assert.Equal(new AccountTerms(70, BudgetWindow.FromSeconds(3600)), (await OpenAdminAsync()).Terms);
    }

    [Fact]
    public async Task Open_OfAnExistingAccount_NeverChangesItsLimitOrWindow()
    {
        var first = await OpenAsync(limit: 50);
        await first.ReserveAsync(50, default);

        var second = await OpenAsync(limit: 500, window: BudgetWindow.FromSeconds(86_400));
        var third = await OpenAsync(limit: 5, window: BudgetWindow.FromSeconds(3600));

        Assert.Equal(new AccountTerms(50, BudgetWindow.None), second.Terms);
        Assert.Equal(ReserveStatus.Insufficient, (await second.ReserveAsync(1, default)).Status); // same bucket, same limit
        Assert.Equal(new AccountStatus(Key, 50, 0, 50, 0, null, false, null), await third.StatusAsync(default));
        Assert.Equal(new AccountTerms(50, BudgetWindow.None), (await OpenAdminAsync()).Terms);
    }

    [Fact]
    public async Task Open_ByManyClientsAtOnce_CreatesOneAccount()
    {
        var clients = await Task.WhenAll(Enumerable.Range(1, 12).Select(i => Task.Run(() => OpenAsync(limit: i * 10))));

        var terms = clients.Select(client => client.Terms).Distinct().ToList();
        Assert.Single(terms);
        Assert.Equal(terms[0], (await OpenAdminAsync()).Terms);
    }

    [Fact]
    public async Task Open_RequiringTheAccount_RefusesAMissingOne_AndCreatesNothing()
    {
        var error = await Assert.ThrowsAsync<AccountNotFoundException>(async () =>
            await LedgerFactory.OpenAsync(Location, new LedgerAccount(Key, 100, BudgetWindow.None), RunIdentity.ForCurrentProcess(), StoreOptions(null),
                requireAccount: true));

        Assert.Contains($"budget '{Key}' does not exist", error.Message, StringComparison.Ordinal);
        Assert.Null((await OpenAdminAsync()).Terms);
        await OpenAsync(limit: 30);
        await using var required = await LedgerFactory.OpenAsync(Location, new LedgerAccount(Key, 100, BudgetWindow.None),
            RunIdentity.ForCurrentProcess(), StoreOptions(null), requireAccount: true);
        Assert.Equal(30, required.Terms!.LimitCents);
    }

    [Fact]
    public async Task Kill_OfAMissingAccount_GivesItNoTerms_AndARunStillCreatesIt()
    {
        var admin = await OpenAdminAsync();
        await admin.KillAsync("typo?", default);
        Assert.Null(await admin.LoadTermsAsync(default));

        var run = await OpenAsync(limit: 40);

        Assert.Equal(40, run.Terms!.LimitCents);
        Assert.Equal(ReserveStatus.Killed, (await run.ReserveAsync(1, default)).Status); // the kill switch stays engaged
    }

    [Fact]
    public async Task SetTerms_ChangesTheLimit_ForLedgersAlreadyOpen_AndReturnsTheOldTerms()
    {
        var run = await OpenAsync(limit: 100);
        await run.ReserveAsync(60, default);
        var admin = await OpenAdminAsync();

        var before = await admin.SetTermsAsync(new AccountTerms(50, BudgetWindow.None), default);

        Assert.Equal(new AccountTerms(100, BudgetWindow.None), before);
        Assert.Equal(ReserveStatus.Insufficient, (await run.ReserveAsync(1, default)).Status); // the store's limit, not the run's
        Assert.Equal(new AccountStatus(Key, 50, 0, 60, 0, null, false, null), await run.StatusAsync(default));
        Assert.Null(await (await OpenAdminAsync(key: Key + "-new")).SetTermsAsync(new AccountTerms(5, BudgetWindow.None), default));
        Assert.Equal(5, (await OpenAdminAsync(key: Key + "-new")).Terms!.LimitCents);
    }

    [Fact]
    public async Task CalendarAccount_KeepsItsZone_AndRollsOverAtLocalMidnight_OnTheDaySummerTimeEnds()
    {
        // Europe/Berlin, 2026-10-25: the day has 25 hours; it ends at 2026-10-25T23:00Z.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 10, 24, 22, 30, 0, TimeSpan.Zero)); // 00:30 CEST on the 25th
        var admin = await OpenAdminAsync(time);
        var day = BudgetWindow.FromCalendar(CalendarUnit.Day, "Europe/Berlin");
        await admin.SetTermsAsync(new AccountTerms(100, day), default);
        var run = await OpenAsync(limit: 999, time: time);
        Assert.Equal(new AccountTerms(100, day), run.Terms);

        Assert.Equal(ReserveStatus.Reserved, (await run.ReserveAsync(100, default)).Status);
        time.Advance(TimeSpan.FromHours(24)); // 23:30 CET, still the 25th
        var sameDay = await run.ReserveAsync(1, default);
        Assert.Equal(ReserveStatus.Insufficient, sameDay.Status);
        Assert.Equal(new DateTimeOffset(2026, 10, 25, 23, 0, 0, TimeSpan.Zero), sameDay.Account.WindowEndsAt);

        time.Advance(TimeSpan.FromMinutes(31)); // 00:01 CET on the 26th
        Assert.Equal(ReserveStatus.Reserved, (await run.ReserveAsync(100, default)).Status);
        Assert.Equal(new AccountTerms(100, day), (await OpenAdminAsync()).Terms);
    }

    [Fact]
    public async Task ListAccounts_ShowsEveryAccountWithThePrefix_ByKey()
    {
        await OpenAsync(key: Key + "/b", limit: 20);
        await OpenAsync(key: Key + "/a", limit: 10, window: BudgetWindow.FromSeconds(3600));
        await (await OpenAdminAsync(key: Key + "/c")).KillAsync(null, default);
        await OpenAsync(key: "other-" + Key, limit: 5);

        var listed = await LedgerFactory.ListAccountsAsync(Location, Key + "/");

        Assert.Equal([Key + "/a", Key + "/b", Key + "/c"], listed.Select(entry => entry.Key));
        Assert.Equal(new AccountTerms(10, BudgetWindow.FromSeconds(3600)), listed[0].Config.ToTerms());
        Assert.Equal((false, true), (listed[2].Config.HasTerms, listed[2].Killed));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var ledger in _opened)
        {
            await ledger.DisposeAsync();
        }
    }

    private protected async Task<AccountLedger> OpenAsync(
        long limit = 100, BudgetWindow window = default, TimeProvider? time = null, LedgerOptions? options = null,
        string? key = null, RunIdentity? run = null)
    {
        var ledger = await LedgerFactory.OpenAsync(Location, new LedgerAccount(key ?? Key, limit, window),
            run ?? RunIdentity.ForCurrentProcess(), StoreOptions(MovingTime(options, time)), time);
        _opened.Add(ledger);
        return ledger;
    }

    /// <summary>The account as the status, kill and resume subcommands open it: no limit, no window.</summary>
    private protected async Task<AccountLedger> OpenAdminAsync(TimeProvider? time = null, string? key = null)
    {
        var ledger = await LedgerFactory.OpenAsync(Location, new LedgerAccount(key ?? Key, null, null), RunIdentity.ForCurrentProcess(),
            StoreOptions(MovingTime(null, time)), time);
        _opened.Add(ledger);
        return ledger;
    }

    /// <summary>The options every ledger of the suite opens with: a store's own test settings go here.</summary>
    private protected virtual LedgerOptions? StoreOptions(LedgerOptions? options) => options;

    /// <summary>What the worker processes of the multi-process tests add to their environment to open their ledgers the same way.</summary>
    private protected virtual IReadOnlyDictionary<string, string>? WorkerEnvironment => null;

    /// <summary>
    /// A test that moves time with its own clock makes that clock the ledger's (the stores' own
    /// clocks cannot be moved); the ledger's clock deciding is <c>LedgerContractTests.Clock</c>'s.
    /// </summary>
    private protected static LedgerOptions? MovingTime(LedgerOptions? options, TimeProvider? time) =>
        time is FakeTimeProvider ? (options ?? LedgerOptions.Default) with { ClientClock = true } : options;

    private static (long Spent, long Reserved) Numbers(AccountStatus status) => (status.SpentCents, status.ReservedCents);
}
