using BudgetRun.Engine.Budget;
using Microsoft.Extensions.Time.Testing;

namespace BudgetRun.Ledgers.Tests;

/// <summary>
/// The history, on every store: each change is an entry written in the same step as the change,
/// with the run that made it, and the entries' deltas add up to the account's spent and reserved.
/// </summary>
public abstract partial class LedgerContractTests
{
    private static readonly DateTimeOffset _always = DateTimeOffset.UnixEpoch;
    private static readonly DateTimeOffset _never = DateTimeOffset.MaxValue.AddDays(-1);

    [Fact]
    public async Task History_RecordsEveryKindOfChange_WithTheRunThatMadeIt_AndTotalsEqualTheAccount()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new LedgerOptions { ReservationTtl = TimeSpan.FromMinutes(1) };
        var run = new RunIdentity("run-h1", 4242, "worker-7") { User = "batch" };
        var ledger = await OpenAsync(limit: 1000, time: clock, options: options, run: run);
        var settled = await ledger.ReserveAsync(30, default);
        await ledger.SettleByIdAsync(settled.Id!, 20, default);
        var released = await ledger.ReserveAsync(40, default);
        await ledger.ReleaseByIdAsync(released.Id!, default);
        await ((IBudgetLedger)ledger).RecordSpendAsync(5, default);
        var expired = await ledger.ReserveAsync(50, default);
        clock.Advance(TimeSpan.FromMinutes(2));
        await ledger.ReserveAsync(1, default); // whoever comes next expires it
        await ledger.KillAsync("INC-42", default);
        await ledger.ResumeAsync(default);
        await (await OpenAdminAsync(time: clock)).SetTermsAsync(new AccountTerms(2000, BudgetWindow.None), default);

        var history = await ledger.HistoryAsync(_always, _never, null, 1000, default);

        Assert.Equal(
            [HistoryKind.Terms, HistoryKind.Reserve, HistoryKind.Settle, HistoryKind.Reserve, HistoryKind.Release, HistoryKind.Spend,
             HistoryKind.Reserve, HistoryKind.Expire, HistoryKind.Reserve, HistoryKind.Kill, HistoryKind.Resume, HistoryKind.Terms],
            history.Select(entry => entry.Kind));
        Assert.All(history, entry => Assert.Equal(Key, entry.BudgetKey));
        var settle = history[2];
        Assert.Equal((settled.Id, 20L, -30L, "run-h1", "worker-7", 4242, "batch"),
            (settle.ReservationId, settle.SpentDeltaCents, settle.ReservedDeltaCents, settle.RunId, settle.Host, settle.Pid, settle.User));
        Assert.Equal((expired.Id, 50L, -50L, "run-h1"), (history[7].ReservationId, history[7].SpentDeltaCents, history[7].ReservedDeltaCents, history[7].RunId));
        Assert.Equal("INC-42", history[9].Detail);
        Assert.Contains("limit 1000 cents", history[0].Detail, StringComparison.Ordinal);
        Assert.Contains("limit 2000 cents per window none (was limit 1000 cents per window none)", history[^1].Detail, StringComparison.Ordinal);
        var status = await ledger.StatusAsync(default);
        Assert.Equal((status.SpentCents, status.ReservedCents), (history.Sum(e => e.SpentDeltaCents), history.Sum(e => e.ReservedDeltaCents)));
        Assert.Equal((75L, 1L), (status.SpentCents, status.ReservedCents));
        Assert.True(history.Zip(history.Skip(1)).All(pair => pair.First.At <= pair.Second.At), "newest last");
    }

    [Fact]
    public async Task History_PagesByCursor_AndFiltersByTime()
    {
        var ledger = await OpenAsync(limit: 1000);
        for (var i = 0; i < 5; i++)
        {
            await ledger.SettleByIdAsync((await ledger.ReserveAsync(1, default)).Id!, 1, default);
        }

        var first = await ledger.HistoryAsync(_always, _never, null, 4, default);
        var rest = await ledger.HistoryAsync(_always, _never, first[^1].Cursor, 100, default);
        var none = await ledger.HistoryAsync(_never.AddDays(-1), _never, null, 100, default);

        Assert.Equal(4, first.Count);
        Assert.Equal(7, rest.Count); // 1 terms + 5 × (reserve, settle) = 11 entries
        Assert.Empty(first.Select(e => e.Cursor).Intersect(rest.Select(e => e.Cursor)));
        Assert.Empty(none);
    }

    [Fact]
    public async Task History_OfALevel_HasTheChangesOfTheAccountsBelowIt_NamingThem()
    {
        await SetLimitAsync(_org, 100);
        var job = await OpenAsync(limit: 100, key: $"{_org}/nightly");
        var reserved = await job.ReserveAsync(30, default);
        await job.SettleByIdAsync(reserved.Id!, 25, default);

        var org = await OpenAdminAsync(key: _org);
        var history = await org.HistoryAsync(_always, _never, null, 100, default);

        Assert.Equal([HistoryKind.Terms, HistoryKind.Reserve, HistoryKind.Settle], history.Select(e => e.Kind));
        Assert.All(history.Skip(1), entry => Assert.Equal(($"{_org}/nightly", _org), (entry.Origin, entry.BudgetKey)));
        Assert.Equal(25, history.Sum(e => e.SpentDeltaCents));
        Assert.Equal(25, (await org.StatusAsync(default)).SpentCents);
    }

    [Fact]
    public async Task History_ThatFailedToReachTheStore_RecordsNothing_AndTheRetryRecordsOnce()
    {
        // A settle retried with its nonce (its answer was lost) is one entry, not two.
        var ledger = await OpenAsync(limit: 100);
        var reserved = await ledger.ReserveAsync(30, default);
        await ((IBudgetLedger)ledger).SettleAsync(new Reservation(reserved.Id!, 30), 10, default);
        Assert.Equal(SettleOutcome.AlreadySettled, await ledger.SettleByIdAsync(reserved.Id!, 10, default));

        var history = await ledger.HistoryAsync(_always, _never, null, 100, default);

        Assert.Single(history, e => e.Kind == HistoryKind.Settle);
        Assert.Equal(10, history.Sum(e => e.SpentDeltaCents));
    }
}
