using BudgetRun.Engine.Budget;
using BudgetRun.Ledgers.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace BudgetRun.Ledgers.Tests;

/// <summary>
/// Hierarchical keys, on every store: <c>org/team/job</c> reserves on each level that has terms in
/// one atomic step; the tightest level decides and is named; settle, release, expiry and the kill
/// switch reach every level.
/// </summary>
public abstract partial class LedgerContractTests
{
    private readonly string _org = "org-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Reserve_OnAKeyWithLevels_IsRefusedByTheTightestLevel_WhichItNames()
    {
        await SetLimitAsync(_org, 50);
        await SetLimitAsync($"{_org}/support", 80);
        var job = await OpenAsync(limit: 100, key: $"{_org}/support/nightly");

        var first = await job.ReserveAsync(30, default);
        var second = await job.ReserveAsync(30, default);

        Assert.Equal(ReserveStatus.Reserved, first.Status);
        Assert.Null(first.DecidedBy);
        Assert.Equal(ReserveStatus.Insufficient, second.Status);
        Assert.Equal(_org, second.DecidedBy);
        Assert.Equal([(_org, 50L, 30L, 20L), ($"{_org}/support", 80L, 30L, 50L)], Levels(second.Account));
        Assert.Equal((0L, 30L), Numbers(second.Account));
        Assert.Equal(70, second.Account.RemainingCents);
    }

    [Fact]
    public async Task Reserve_WhenSeveralLevelsRefuse_NamesTheOneWithTheLeastRemaining()
    {
        await SetLimitAsync(_org, 40);
        await SetLimitAsync($"{_org}/support", 35);
        var job = await OpenAsync(limit: 30, key: $"{_org}/support/nightly");
        await job.ReserveAsync(20, default);

        var refused = await job.ReserveAsync(25, default); // remaining: org 20, support 15, job 10

        Assert.Equal(ReserveStatus.Insufficient, refused.Status);
        Assert.Equal($"{_org}/support/nightly", refused.DecidedBy);
    }

    [Fact]
    public async Task SettleAndRelease_ReachEveryLevel_InTheWindowOfEach()
    {
        var hour = BudgetWindow.FromSeconds(3600);
        await SetLimitAsync(_org, 500, BudgetWindow.FromSeconds(86_400));
        var job = await OpenAsync(limit: 100, window: hour, key: $"{_org}/nightly");

        var settled = await job.ReserveAsync(30, default);
        var released = await job.ReserveAsync(40, default);
        Assert.Equal(SettleOutcome.Settled, await job.SettleByIdAsync(settled.Id!, 12, default));
        Assert.Equal(SettleOutcome.Settled, await job.ReleaseByIdAsync(released.Id!, default));

        var status = await job.StatusAsync(default);
        Assert.Equal((12L, 0L), Numbers(status));
        Assert.Equal([(_org, 500L, 12L, 488L)], Levels(status));
        Assert.Equal((12L, 0L), Numbers(await (await OpenAdminAsync(key: _org)).StatusAsync(default)));
    }

    [Fact]
    public async Task ReportedSpend_IsChargedToEveryLevel_AndTheTightestIsTheRunsBudget()
    {
        await SetLimitAsync(_org, 50);
        IBudgetLedger job = await OpenAsync(limit: 100, key: $"{_org}/nightly");

        var budget = await job.RecordSpendAsync(45, default);

        Assert.Equal(new BudgetSnapshot(50, 45, 0, $"budget '{_org}'"), budget);
        Assert.False(await job.FitsAsync(6, default));
        Assert.True(await job.FitsAsync(5, default));
        Assert.Equal(new BudgetSnapshot(50, 45, 0, $"budget '{_org}'"), await job.SnapshotAsync(default));
    }

    [Fact]
    public async Task Expiry_OfASiblingsReservation_ReachesTheSharedLevel()
    {
        // A sibling's run died holding a reservation: whoever reserves on the shared level next expires it.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new LedgerOptions { ReservationTtl = TimeSpan.FromMinutes(1) };
        await SetLimitAsync(_org, 100);
        var crashed = await OpenAsync(limit: 100, key: $"{_org}/a", time: clock, options: options);
        var sibling = await OpenAsync(limit: 100, key: $"{_org}/b", time: clock, options: options);
        await crashed.ReserveAsync(60, default);
        Assert.Equal(ReserveStatus.Insufficient, (await sibling.ReserveAsync(50, default)).Status);

        clock.Advance(TimeSpan.FromMinutes(2));
        var after = await sibling.ReserveAsync(30, default);

        Assert.Equal(ReserveStatus.Reserved, after.Status);
        Assert.Equal([(_org, 100L, 90L, 10L)], Levels(after.Account)); // 60 spent in full, 30 reserved
        Assert.Equal((60L, 0L), Numbers(await crashed.StatusAsync(default)));
    }

    [Fact]
    public async Task KillSwitch_OfALevel_StopsEveryAccountBelowIt_AndNamesTheLevel()
    {
        var job = await OpenAsync(limit: 100, key: $"{_org}/support/nightly");
        var other = await OpenAsync(limit: 100, key: $"{_org}/sales");
        var team = await OpenAdminAsync(key: $"{_org}/support");

        await team.KillAsync("INC-7 runaway spend", default);

        var refused = await job.ReserveAsync(1, default);
        Assert.Equal(ReserveStatus.Killed, refused.Status);
        Assert.Equal($"{_org}/support", refused.DecidedBy);
        Assert.True(refused.Account.KillSwitch);
        var seen = await job.ReadKillSwitchAsync(default);
        Assert.Equal((true, "INC-7 runaway spend", $"{_org}/support"), (seen.Engaged, seen.Reason, seen.Account));
        Assert.Equal(ReserveStatus.Reserved, (await other.ReserveAsync(1, default)).Status); // a sibling of the level runs on

        await team.ResumeAsync(default);
        Assert.Equal(ReserveStatus.Reserved, (await job.ReserveAsync(1, default)).Status);
    }

    [Fact]
    public async Task KillSwitch_OfALevel_ReachesALedgerBelowItWithinOneSecond()
    {
        var job = await OpenAsync(limit: 100, key: $"{_org}/nightly");
        var seen = new TaskCompletionSource<KillSwitchState>(TaskCreationOptions.RunContinuationsAsynchronously);
        job.KillSwitchChanged += (_, state) => seen.TrySetResult(state);
        await using var watch = await job.WatchKillSwitchAsync(default);

        await (await OpenAdminAsync(key: _org)).KillAsync("budget review", default);

        var state = await seen.Task.WaitAsync(TimeSpan.FromSeconds(1));
        Assert.Equal((true, _org), (state.Engaged, state.Account));
    }

    [Fact]
    public async Task LimitSetOnALevelAboveARunningJob_HoldsAtOnce()
    {
        // The job read its path's terms when it opened; the level gains a limit after: the store sees
        // the terms changed, the job reads them again and the new limit holds for its next reservation.
        var job = await OpenAsync(limit: 100, key: $"{_org}/nightly");
        Assert.Equal(ReserveStatus.Reserved, (await job.ReserveAsync(30, default)).Status);

        await SetLimitAsync(_org, 40);
        var held = await job.ReserveAsync(30, default);
        var refused = await job.ReserveAsync(20, default);
        await SetLimitAsync(_org, 60);
        var fits = await job.ReserveAsync(20, default);

        Assert.Equal([(_org, 40L, 30L, 10L)], Levels(held.Account)); // only what was reserved once it had a limit
        Assert.Equal((ReserveStatus.Insufficient, _org), (refused.Status, refused.DecidedBy));
        Assert.Equal(ReserveStatus.Reserved, fits.Status);
        Assert.Equal([(_org, 60L, 50L, 10L)], Levels(fits.Account));
    }

    [Fact]
    public async Task LevelWithoutTerms_TakesNoPart()
    {
        var job = await OpenAsync(limit: 50, key: $"{_org}/team/nightly");

        var reserved = await job.ReserveAsync(50, default);

        Assert.Equal(ReserveStatus.Reserved, reserved.Status);
        Assert.Null(reserved.Account.Levels);
        Assert.Null((await OpenAdminAsync(key: _org)).Terms);
    }

    [Fact]
    public async Task TwentyProcesses_OnAThreeLevelTree_NeverOverspendAnyLevel()
    {
        await SetLimitAsync(_org, 100);
        await SetLimitAsync($"{_org}/m1", 70);
        await SetLimitAsync($"{_org}/m2", 70);
        string[] leaves = [$"{_org}/m1/a", $"{_org}/m1/b", $"{_org}/m2/c", $"{_org}/m2/d"];

        var counts = await WorkerProcesses.RunAsync(LedgerUri, [.. Enumerable.Range(0, 20).Select(i => leaves[i % 4])], limitCents: 1000, cents: 7,
            environment: WorkerEnvironment);

        Output.WriteLine($"reservations per process: {string.Join(", ", counts)}");
        var m1 = counts.Where((_, i) => i % 4 < 2).Sum();
        var m2 = counts.Where((_, i) => i % 4 >= 2).Sum();
        Assert.Equal(14, m1 + m2); // 14 × 7 = 98 ≤ 100 < 15 × 7
        Assert.InRange(m1 * 7, 0, 70);
        Assert.InRange(m2 * 7, 0, 70);
        Assert.Equal((98L, 0L), Numbers(await (await OpenAdminAsync(key: _org)).StatusAsync(default)));
        Assert.Equal(((long)m1 * 7, 0L), Numbers(await (await OpenAdminAsync(key: $"{_org}/m1")).StatusAsync(default)));
        Assert.Equal(((long)m2 * 7, 0L), Numbers(await (await OpenAdminAsync(key: $"{_org}/m2")).StatusAsync(default)));
    }

    private async Task SetLimitAsync(string key, long limit, BudgetWindow window = default) =>
        await (await OpenAdminAsync(key: key)).SetTermsAsync(new AccountTerms(limit, window), default);

    private static (string Key, long Limit, long Used, long Remaining)[] Levels(AccountStatus status) =>
        [.. (status.Levels ?? []).Select(level => (level.BudgetKey, level.BudgetCents!.Value, level.SpentCents + level.ReservedCents, level.RemainingCents!.Value))];
}
