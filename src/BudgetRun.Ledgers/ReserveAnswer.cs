namespace BudgetRun.Ledgers;

/// <summary>A store's answer to a <see cref="ReserveRequest"/>.</summary>
/// <param name="Status">Reserved, does not fit, killed, or stale terms (read them again and retry).</param>
/// <param name="Levels">Each level of the request after it (empty when stale); a level without terms reads as zero.</param>
/// <param name="Decider">The level that refused it (the tightest) or whose kill switch is engaged; -1 otherwise.</param>
internal sealed record ReserveAnswer(ReserveStatus Status, IReadOnlyList<BucketState> Levels, int Decider);
