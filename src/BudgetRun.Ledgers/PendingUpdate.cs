namespace BudgetRun.Ledgers;

/// <summary>
/// A settle, release or cancellation of one reservation, with the nonce that makes a retry of it a
/// no-op. <see cref="Charge"/> is set once a settle found its reservation gone and the cost is
/// being charged as spend instead (the bucket and the spend's operation id, fixed for retries).
/// </summary>
internal sealed class PendingUpdate(string id, long actualCents, bool release, bool cancel, string nonce)
{
    public string Id { get; } = id;

    public long ActualCents { get; } = actualCents;

    /// <summary>Nothing was spent: the reservation is given back.</summary>
    public bool Release { get; } = release;

    /// <summary>A reservation request whose answer was lost: released, or recorded as released if it never arrived.</summary>
    public bool Cancel { get; } = cancel;

    public string Nonce { get; } = nonce;

    public (string Bucket, string OperationId)? Charge { get; set; }

    /// <summary>The operation in faults and logs.</summary>
    public LedgerOperation Operation => Cancel ? LedgerOperation.Cancel : Release ? LedgerOperation.Release : LedgerOperation.Settle;
}
