namespace BudgetRun.Engine.Budget;

/// <summary>
/// Where a run's money is accounted. Every attempt reserves its cost before it starts and the
/// reservation is settled (spent) or released (not spent) when it ends, so concurrent users of one
/// account can never overspend it.
/// </summary>
internal interface IBudgetLedger
{
    /// <summary>Reserves <paramref name="cents"/>, or returns null when it does not fit.</summary>
    /// <exception cref="LedgerUnavailableException">The ledger cannot be reached.</exception>
    ValueTask<Reservation?> TryReserveAsync(long cents, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="cents"/> would fit now (a hint: only a reservation holds).</summary>
    ValueTask<bool> FitsAsync(long cents, CancellationToken cancellationToken);

    /// <summary>Turns the reservation into spend of <paramref name="actualCents"/>.</summary>
    ValueTask SettleAsync(Reservation reservation, long actualCents, CancellationToken cancellationToken);

    /// <summary>Gives the reservation back: nothing was spent.</summary>
    ValueTask ReleaseAsync(Reservation reservation, CancellationToken cancellationToken);

    /// <summary>Adds spend the child reported on top of the per-attempt cost; returns the snapshot after it.</summary>
    ValueTask<BudgetSnapshot> RecordSpendAsync(long cents, CancellationToken cancellationToken);

    ValueTask<BudgetSnapshot> SnapshotAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Finishes the settles and releases that failed because the ledger could not be reached (a
    /// persistent ledger keeps them and also finishes them before its next operation). Returns how
    /// many are still unfinished; never throws for an unreachable ledger.
    /// </summary>
    ValueTask<int> FinishUnfinishedAsync(CancellationToken cancellationToken);
}
