namespace BudgetRun.Ledgers;

/// <summary>
/// A settle, release or cancellation of one reservation, with the nonce that makes a retry of it a
/// no-op. <see cref="Charge"/> is set once a settle found its reservation gone and the cost is
/// being charged as spend instead (the bucket and the spend's operation id, fixed for retries).
/// </summary>
internal sealed class PendingUpdate(string id, FinishKind kind, long actualCents, string nonce)
{
    public string Id { get; } = id;

    public FinishKind Kind { get; } = kind;

    public long ActualCents { get; } = actualCents;

    public string Nonce { get; } = nonce;

    public (IReadOnlyList<LevelBucket> Levels, string OperationId)? Charge { get; set; }

    /// <summary>The operation in faults and logs.</summary>
    public LedgerOperation Operation => Kind switch
    {
        FinishKind.Cancel => LedgerOperation.Cancel,
        FinishKind.Release => LedgerOperation.Release,
        _ => LedgerOperation.Settle,
    };
}
