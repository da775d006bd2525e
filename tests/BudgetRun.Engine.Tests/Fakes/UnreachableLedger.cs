using BudgetRun.Engine.Budget;

namespace BudgetRun.Engine.Tests.Fakes;

/// <summary>
/// An in-memory ledger that can be made unreachable, as a persistent ledger is during an outage:
/// while it is, every operation throws <see cref="LedgerUnavailableException"/> and settles and
/// releases are kept, to be finished by <see cref="FinishUnfinishedAsync"/> once it answers again.
/// </summary>
internal sealed class UnreachableLedger(long budgetCents) : IBudgetLedger
{
    private readonly InMemoryBudgetLedger _inner = new(budgetCents);
    private readonly List<Func<ValueTask>> _kept = [];

    /// <summary>Which operations fail: settle, release, or all of them.</summary>
    public Func<string, bool> Fails { get; set; } = _ => false;

    public int FinishCalls { get; private set; }

    public ValueTask<Reservation?> TryReserveAsync(long cents, CancellationToken cancellationToken) =>
        Check("reserve") ? _inner.TryReserveAsync(cents, cancellationToken) : throw Unavailable();

    public ValueTask<bool> FitsAsync(long cents, CancellationToken cancellationToken) =>
        Check("fits") ? _inner.FitsAsync(cents, cancellationToken) : throw Unavailable();

    public ValueTask SettleAsync(Reservation reservation, long actualCents, CancellationToken cancellationToken) =>
        Check("settle") ? _inner.SettleAsync(reservation, actualCents, cancellationToken)
            : Keep(() => _inner.SettleAsync(reservation, actualCents, CancellationToken.None));

    public ValueTask ReleaseAsync(Reservation reservation, CancellationToken cancellationToken) =>
        Check("release") ? _inner.ReleaseAsync(reservation, cancellationToken)
            : Keep(() => _inner.ReleaseAsync(reservation, CancellationToken.None));

    public ValueTask<BudgetSnapshot> RecordSpendAsync(long cents, CancellationToken cancellationToken) =>
        Check("record-spend") ? _inner.RecordSpendAsync(cents, cancellationToken) : throw Unavailable();

    public ValueTask<BudgetSnapshot> SnapshotAsync(CancellationToken cancellationToken) => _inner.SnapshotAsync(cancellationToken);

    public async ValueTask<int> FinishUnfinishedAsync(CancellationToken cancellationToken)
    {
        FinishCalls++;
        while (_kept.Count > 0 && Check("finish"))
        {
            await _kept[0]();
            _kept.RemoveAt(0);
        }
        return _kept.Count;
    }

    private bool Check(string operation) => !Fails(operation);

    private ValueTask Keep(Func<ValueTask> operation)
    {
        _kept.Add(operation);
        throw Unavailable();
    }

    private static LedgerUnavailableException Unavailable() => new("ledger test:// is unavailable: the test made it so");
}
