namespace BudgetRun.Engine.Budget;

/// <summary>
/// A run's own cap inside a shared account: an attempt starts only if its cost fits both. The cap
/// is this run's alone (in memory, like a per-run budget) and is reserved first, so the account is
/// never asked for what the run may not spend anyway; the account's reservation is the one that
/// holds across processes. The engine sees one <see cref="IBudgetLedger"/>, and every snapshot is
/// the tighter of the two, so its messages name the limit that decides.
/// </summary>
internal sealed class CappedBudgetLedger(IBudgetLedger account, long capCents) : IBudgetLedger
{
    private readonly InMemoryBudgetLedger _cap = new(capCents);

    public long CapCents => capCents;

    public async ValueTask<Reservation?> TryReserveAsync(long cents, CancellationToken cancellationToken)
    {
        var held = await _cap.TryReserveAsync(cents, cancellationToken).ConfigureAwait(false);
        if (held is null)
        {
            return null;
        }
        Reservation? reserved = null;
        try
        {
            reserved = await account.TryReserveAsync(cents, cancellationToken).ConfigureAwait(false);
            // What remains is the smaller of the run's cap and the account.
            return reserved is { RemainingCents: { } inAccount } && held.RemainingCents is { } inCap && inCap < inAccount
                ? reserved with { RemainingCents = inCap }
                : reserved;
        }
        finally
        {
            if (reserved is null)
            {
                await _cap.ReleaseAsync(held, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask<bool> FitsAsync(long cents, CancellationToken cancellationToken) =>
        await _cap.FitsAsync(cents, cancellationToken).ConfigureAwait(false)
        && await account.FitsAsync(cents, cancellationToken).ConfigureAwait(false);

    public async ValueTask SettleAsync(Reservation reservation, long actualCents, CancellationToken cancellationToken)
    {
        await _cap.SettleAsync(reservation, actualCents, cancellationToken).ConfigureAwait(false);
        await account.SettleAsync(reservation, actualCents, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask ReleaseAsync(Reservation reservation, CancellationToken cancellationToken)
    {
        await _cap.ReleaseAsync(reservation, cancellationToken).ConfigureAwait(false);
        await account.ReleaseAsync(reservation, cancellationToken).ConfigureAwait(false);
    }

    /// <remarks>The account first: when it cannot be reached nothing is recorded in either.</remarks>
    public async ValueTask<BudgetSnapshot> RecordSpendAsync(long cents, CancellationToken cancellationToken)
    {
        var shared = await account.RecordSpendAsync(cents, cancellationToken).ConfigureAwait(false);
        var own = await _cap.RecordSpendAsync(cents, cancellationToken).ConfigureAwait(false);
        return Tighter(own, shared);
    }

    public async ValueTask<BudgetSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        var shared = await account.SnapshotAsync(cancellationToken).ConfigureAwait(false);
        var own = await _cap.SnapshotAsync(cancellationToken).ConfigureAwait(false);
        return Tighter(own, shared);
    }

    public ValueTask<int> FinishUnfinishedAsync(CancellationToken cancellationToken) => account.FinishUnfinishedAsync(cancellationToken);

    private static BudgetSnapshot Tighter(BudgetSnapshot own, BudgetSnapshot shared) =>
        own.RemainingCents < shared.RemainingCents ? own : shared;
}
