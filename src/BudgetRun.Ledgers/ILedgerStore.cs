namespace BudgetRun.Ledgers;

/// <summary>
/// Where one account's ledger is kept (<see cref="Sqlite.SqliteStore"/>, <see cref="Redis.RedisStore"/>, <see cref="Postgres.PostgresStore"/>).
/// Each operation is one atomic step in the store, safe to race with other processes and machines,
/// and records what it changed in the account's history in that same step;
/// everything else (the account's terms, ids and nonces, time, kept updates, the kill switch as
/// observed, fault counting) is <see cref="AccountLedger"/>'s. A store throws its own exceptions and
/// names the ones that mean "unavailable" in <see cref="DescribeFault"/>.
/// </summary>
internal interface ILedgerStore : IAsyncDisposable
{
    /// <summary>The ledger as a user names it (<c>sqlite:/path</c>, <c>redis://host:port/db</c>), without any password.</summary>
    string Name { get; }

    /// <summary>How often a kill-switch watch polls when <see cref="LedgerOptions.KillSwitchPollInterval"/> is not set.</summary>
    TimeSpan DefaultKillSwitchPollInterval { get; }

    /// <summary>
    /// The store's own clock (Unix milliseconds), which decides windows and expiry for every client;
    /// null for a store that keeps the client's time (SQLite: one machine, one clock).
    /// </summary>
    ValueTask<long?> ReadClockAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Atomically, over every level of the request: refuse when any level is killed; replay an id the
    /// store knows; refuse as stale when a level's terms version is not the one the request carries;
    /// refuse as outside the window when the store's own clock (if it has one) is outside a level's
    /// window, answering that clock; make the reservation at the store's now, expiring
    /// <see cref="ReserveRequest.TtlMs"/> later;
    /// expire overdue reservations of every level; reserve on every level that has terms when the
    /// cents fit each level's stored limit (the run's own terms for its account when the store lost
    /// them, which are then written again). The tightest refusing level is the decider.
    /// </summary>
    ValueTask<ReserveAnswer> ReserveAsync(ReserveRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically settles, releases or cancels a reservation of this account, on every level it was
    /// made on; a retry with the same nonce is <see cref="SettleOutcome.Settled"/>. A cancellation of an
    /// unknown id records it as released (still <see cref="SettleOutcome.NotFound"/>), so a reservation
    /// request with that id that reaches the store later is a replay and reserves nothing.
    /// </summary>
    ValueTask<SettleOutcome> FinishAsync(FinishRequest request, CancellationToken cancellationToken);

    /// <summary>Adds spend to the bucket of every level that has one, once per operation id; the levels after it.</summary>
    ValueTask<IReadOnlyList<BucketState>> AddSpendAsync(AddSpendRequest request, CancellationToken cancellationToken);

    /// <summary>Reads the levels' buckets, with reservations overdue at <paramref name="nowMs"/> counted as spent; a level without a bucket reads as zero.</summary>
    ValueTask<IReadOnlyList<BucketState>> ReadBucketsAsync(IReadOnlyList<LevelBucket> levels, long nowMs, CancellationToken cancellationToken);

    /// <summary>
    /// The stored terms of every level of this store's account path (<see cref="AccountPath.Levels"/>),
    /// root first, in one consistent read; no limit for a level never created (or created by a bare kill).
    /// </summary>
    ValueTask<IReadOnlyList<AccountConfig>> ReadTermsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Atomically gives the account <paramref name="terms"/> (version 1) unless it already has terms;
    /// true when it did. Two runs creating one account at once end with one account, the first one's.
    /// </summary>
    ValueTask<bool> CreateAccountAsync(AccountConfig terms, long nowMs, RunIdentity actor, CancellationToken cancellationToken);

    /// <summary>Atomically replaces the account's terms (creating it when missing), one version up; returns the terms before.</summary>
    ValueTask<AccountConfig> SetTermsAsync(AccountConfig terms, long nowMs, RunIdentity actor, CancellationToken cancellationToken);

    /// <summary>Every account of the ledger (not only this store's) whose key starts with <paramref name="prefix"/>, by key.</summary>
    ValueTask<IReadOnlyList<AccountEntry>> ListAccountsAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>The kill switch of the path: the engaged level nearest the root, or off.</summary>
    ValueTask<KillSwitchState> ReadKillSwitchAsync(CancellationToken cancellationToken);

    /// <summary>Kills or resumes this store's account (every account below it follows); true when that changed the switch.</summary>
    ValueTask<bool> SetKillSwitchAsync(KillSwitchChange change, CancellationToken cancellationToken);

    /// <summary>One reservation of this account; null when unknown.</summary>
    ValueTask<ReservationInfo?> ReadReservationAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// This account's history entries made at or after <paramref name="sinceMs"/> and before
    /// <paramref name="untilMs"/>, oldest first, after <paramref name="after"/> (a cursor; null: from the
    /// start), at most <paramref name="limit"/>.
    /// </summary>
    ValueTask<IReadOnlyList<HistoryEntry>> ReadHistoryAsync(long sinceMs, long untilMs, string? after, int limit, CancellationToken cancellationToken);

    /// <summary>A push channel that calls <paramref name="poke"/> on a kill or resume of any level of the path; null when the store has none (polling alone).</summary>
    ValueTask<IAsyncDisposable?> SubscribeKillSwitchAsync(Action poke, CancellationToken cancellationToken);

    /// <summary>
    /// Whether a request that failed with <paramref name="error"/> may still have been (or still be)
    /// carried out by the store: a reservation that may have landed is cancelled later.
    /// </summary>
    bool MayHaveLanded(Exception error);

    /// <summary>One line (no password) saying why <paramref name="error"/> makes the ledger unavailable; null when it is not a ledger fault.</summary>
    string? DescribeFault(Exception error);
}
