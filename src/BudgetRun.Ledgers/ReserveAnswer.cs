namespace BudgetRun.Ledgers;

/// <summary>A store's answer to a <see cref="ReserveRequest"/>.</summary>
/// <param name="Status">Reserved, does not fit, killed, stale terms or outside the window (read them again and retry).</param>
/// <param name="Levels">Each level of the request after it (empty when stale or outside the window); a level without terms reads as zero.</param>
/// <param name="Decider">The level that refused it (the tightest) or whose kill switch is engaged; -1 otherwise.</param>
/// <param name="LedgerNowMs">
/// The store's own clock when it answered (Unix milliseconds), for a store whose clock is not the
/// client's (Redis, PostgreSQL); null for one that keeps the client's time (SQLite, on this machine).
/// </param>
internal sealed record ReserveAnswer(ReserveStatus Status, IReadOnlyList<BucketState> Levels, int Decider, long? LedgerNowMs = null);
