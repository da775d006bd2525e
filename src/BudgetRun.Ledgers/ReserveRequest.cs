namespace BudgetRun.Ledgers;

/// <summary>
/// A reservation about to be written: what a store needs to make it atomically on every level of
/// the account path. The id is made by the client, so a retry of a request whose answer was lost is
/// recognised as a replay.
/// </summary>
/// <param name="Id">The reservation's id.</param>
/// <param name="Levels">The path, root first and the run's account last (<see cref="AccountPath.Levels"/>).</param>
/// <param name="Cents">What it reserves on each level that has terms.</param>
/// <param name="LeafTerms">The run's terms: the account is given them again when the store lost it (a Redis without persistence).</param>
/// <param name="NowMs">
/// When it is made (Unix milliseconds) on the ledger's clock as the client knows it
/// (<see cref="LedgerClock"/>); a store with a clock of its own (Redis, PostgreSQL) uses that instead.
/// </param>
/// <param name="ExpiresAtMs">When it counts as spent in full unless settled; a store with a clock of its own takes <see cref="TtlMs"/> from its now.</param>
/// <param name="Run">The run making it.</param>
internal sealed record ReserveRequest(
    string Id,
    IReadOnlyList<LevelBucket> Levels,
    long Cents,
    AccountConfig LeafTerms,
    long NowMs,
    long ExpiresAtMs,
    RunIdentity Run)
{
    public LevelBucket Leaf => Levels[^1];

    /// <summary>How long after it is made it expires.</summary>
    public long TtlMs => ExpiresAtMs - NowMs;
}
