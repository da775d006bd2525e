using System.Globalization;

namespace BudgetRun.Engine.Budget;

/// <summary>The per-run budget of the core: lives in this process and ends with it.</summary>
internal sealed class InMemoryBudgetLedger(long budgetCents) : IBudgetLedger
{
    private readonly Lock _gate = new();
    private long _spent;
    private long _reserved;
    private long _nextId;

    public ValueTask<Reservation?> TryReserveAsync(long cents, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cents);
        lock (_gate)
        {
            if (_spent + _reserved + cents > budgetCents)
            {
                return ValueTask.FromResult<Reservation?>(null);
            }
            _reserved += cents;
            var id = (++_nextId).ToString(CultureInfo.InvariantCulture);
            return ValueTask.FromResult<Reservation?>(new Reservation(id, cents, budgetCents - _spent - _reserved));
        }
    }

    public ValueTask<bool> FitsAsync(long cents, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_spent + _reserved + cents <= budgetCents);
        }
    }

    public ValueTask SettleAsync(Reservation reservation, long actualCents, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _reserved -= reservation.Cents;
            _spent += actualCents;
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask ReleaseAsync(Reservation reservation, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _reserved -= reservation.Cents;
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<BudgetSnapshot> RecordSpendAsync(long cents, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cents);
        lock (_gate)
        {
            _spent += cents;
            return ValueTask.FromResult(new BudgetSnapshot(budgetCents, _spent, _reserved));
        }
    }

    public ValueTask<BudgetSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(new BudgetSnapshot(budgetCents, _spent, _reserved));
        }
    }

    /// <summary>Nothing is ever left unfinished in memory.</summary>
    public ValueTask<int> FinishUnfinishedAsync(CancellationToken cancellationToken) => ValueTask.FromResult(0);
}
