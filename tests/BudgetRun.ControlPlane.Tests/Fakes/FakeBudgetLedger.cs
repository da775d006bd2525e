using BudgetRun.Engine.Budget;

namespace BudgetRun.ControlPlane.Tests.Fakes;

/// <summary>A run's budget without a <c>--budget-key</c>, in memory, behind a <see cref="LedgerSwitch"/>.</summary>
internal sealed class FakeBudgetLedger(long budgetCents, LedgerSwitch @switch) : IBudgetLedger
{
    private readonly InMemoryBudgetLedger _inner = new(budgetCents);

    public LedgerSwitch Switch => @switch;

    public async ValueTask<Reservation?> TryReserveAsync(long cents, CancellationToken cancellationToken)
    {
        await @switch.EnterAsync("reserve", cancellationToken);
        return await _inner.TryReserveAsync(cents, cancellationToken);
    }

    public async ValueTask<bool> FitsAsync(long cents, CancellationToken cancellationToken)
    {
        await @switch.EnterAsync("fits", cancellationToken);
        return await _inner.FitsAsync(cents, cancellationToken);
    }

    public async ValueTask SettleAsync(Reservation reservation, long actualCents, CancellationToken cancellationToken)
    {
        await @switch.EnterAsync("settle", cancellationToken);
        await _inner.SettleAsync(reservation, actualCents, cancellationToken);
    }

    public async ValueTask ReleaseAsync(Reservation reservation, CancellationToken cancellationToken)
    {
        await @switch.EnterAsync("release", cancellationToken);
        await _inner.ReleaseAsync(reservation, cancellationToken);
    }

    public async ValueTask<BudgetSnapshot> RecordSpendAsync(long cents, CancellationToken cancellationToken)
    {
        await @switch.EnterAsync("record-spend", cancellationToken);
        return await _inner.RecordSpendAsync(cents, cancellationToken);
    }

    public async ValueTask<BudgetSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        await @switch.EnterAsync("snapshot", cancellationToken);
        return await _inner.SnapshotAsync(cancellationToken);
    }

    public ValueTask<int> FinishUnfinishedAsync(CancellationToken cancellationToken) => ValueTask.FromResult(0);
}
