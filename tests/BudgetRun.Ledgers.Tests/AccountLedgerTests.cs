using BudgetRun.Engine.Budget;
using BudgetRun.Ledgers.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace BudgetRun.Ledgers.Tests;

/// <summary>
/// The composed ledger's kept updates against a <see cref="FakeStore"/>: the cases the real stores'
/// outage tests (<see cref="Redis.RedisFailureTests"/>) cannot stage, because they need a store that
/// fails one kind of request and answers the others.
/// </summary>
public sealed class AccountLedgerTests
{
    private readonly FakeStore _store = new();
    private readonly List<LedgerFault> _faults = [];
    private readonly AccountLedger _ledger;

    public AccountLedgerTests() =>
        _ledger = new AccountLedger(_store, new LedgerAccount("team/openai", 100, BudgetWindow.None), new RunIdentity("run-1", 42, "host"),
            new LedgerOptions { OnFault = _faults.Add }, new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero)));

    private IBudgetLedger Engine => _ledger;

    [Fact]
    public async Task KeptRelease_WhoseReservationTheStoreLost_IsNotChargedAsSpend()
    {
        var reservation = (await Engine.TryReserveAsync(30, default))!;
        _store.FailWhen = _ => true;
        await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await Engine.ReleaseAsync(reservation, default));
        _store.FailWhen = null;
        _store.FinishOutcome = _ => SettleOutcome.NotFound; // a store that came back empty

        Assert.Equal(0, await Engine.FinishUnfinishedAsync(default));

        var finishes = _store.Requests.OfType<FinishRequest>().ToArray();
        Assert.Equal(2, finishes.Length);
        Assert.All(finishes, f => Assert.Equal((reservation.Id, FinishKind.Release), (f.Id, f.Kind)));
        Assert.Equal(finishes[0].Nonce, finishes[1].Nonce); // the retry is the same request
        Assert.Empty(_store.Requests.OfType<AddSpendRequest>()); // nothing was spent
    }

    [Fact]
    public async Task KeptSettles_FinishOldestFirstBeforeTheNextOperation_WhichFailsClosedUntilTheyDo()
    {
        var first = (await Engine.TryReserveAsync(10, default))!;
        var second = (await Engine.TryReserveAsync(20, default))!;
        _store.FailWhen = _ => true;
        await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await Engine.SettleAsync(first, 9, default));
        await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await Engine.SettleAsync(second, 19, default));

        _store.FailWhen = request => request is FinishRequest finish && finish.Id == second.Id; // the older one goes through
        await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await Engine.FitsAsync(1, default));
        Assert.Equal(1, _ledger.UnfinishedCount);
        Assert.IsType<FinishRequest>(_store.Requests[^1]); // failed closed: the read was never sent

        _store.FailWhen = null;
        var before = _store.Requests.Count;
        Assert.True(await Engine.FitsAsync(1, default));

        Assert.Equal(0, _ledger.UnfinishedCount);
        var sent = _store.Requests.Skip(before).ToArray();
        Assert.Equal(second.Id, Assert.IsType<FinishRequest>(sent[0]).Id);
        Assert.IsType<string>(sent[1]); // then the bucket read that FitsAsync asked for
        Assert.Equal(
            [first.Id, second.Id, first.Id, second.Id, second.Id],
            _store.Requests.OfType<FinishRequest>().Select(f => f.Id));
        Assert.Equal([LedgerOperation.Settle, LedgerOperation.Settle, LedgerOperation.Settle], _faults.Select(f => f.Operation));
        Assert.Equal(3, _ledger.FaultCount);
    }

    [Fact]
    public async Task LostSettle_WhoseChargeFails_IsChargedLaterWithTheSameOperationId_AndNotFinishedAgain()
    {
        var reservation = (await Engine.TryReserveAsync(30, default))!;
        _store.FailWhen = _ => true;
        await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await Engine.SettleAsync(reservation, 25, default));
        _store.FinishOutcome = _ => SettleOutcome.NotFound;
        _store.FailWhen = request => request is AddSpendRequest;

        Assert.Equal(1, await Engine.FinishUnfinishedAsync(default)); // the store lost it; charging it failed
        _store.FailWhen = null;
        Assert.Equal(0, await Engine.FinishUnfinishedAsync(default));

        Assert.Equal(2, _store.Requests.OfType<FinishRequest>().Count());
        var charges = _store.Requests.OfType<AddSpendRequest>().ToArray();
        Assert.Equal(2, charges.Length);
        Assert.All(charges, c => Assert.Equal(25, c.Cents));
        Assert.Equal(charges[0].OperationId, charges[1].OperationId); // a store that ran the first one adds it once
        Assert.Equal(LedgerOperation.RecordSpend, _faults[^1].Operation);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 0)]
    public async Task FailedReservation_IsKeptForCancellationOnlyWhenItMayHaveLanded(bool mayHaveLanded, int kept)
    {
        _store.FailWhen = request => request is ReserveRequest;
        _store.FailuresMayHaveLanded = mayHaveLanded;

        await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await Engine.TryReserveAsync(30, default));

        Assert.Equal(kept, _ledger.UnfinishedCount);
        _store.FailWhen = null;
        Assert.Equal(0, await Engine.FinishUnfinishedAsync(default));
        var reserveId = _store.Requests.OfType<ReserveRequest>().Single().Id;
        (string, FinishKind)[] cancelled = mayHaveLanded ? [(reserveId, FinishKind.Cancel)] : [];
        Assert.Equal(cancelled, _store.Requests.OfType<FinishRequest>().Select(f => (f.Id, f.Kind)));
        Assert.Equal(LedgerOperation.Reserve, Assert.Single(_faults).Operation);
    }
}
