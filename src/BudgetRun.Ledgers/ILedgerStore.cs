namespace BudgetRun.Ledgers;

/// <summary>
/// Where one account's ledger is kept (<see cref="Sqlite.SqliteStore"/>, <see cref="Redis.RedisStore"/>, <see cref="Postgres.PostgresStore"/>).
/// Each operation is one atomic step in the store, safe to race with other processes and machines;
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
    /// Atomically: refuse when killed; replay an id the store knows; expire overdue reservations;
    /// reserve when it fits the limit stored with the account (the request's own limit only when the
    /// account has none, e.g. a ledger composed without opening the account first).
    /// </summary>
    ValueTask<(ReserveStatus Status, BucketState State)> ReserveAsync(ReserveRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically settles, releases or cancels a reservation of this account; a retry with the same
    /// nonce is <see cref="SettleOutcome.Settled"/>. A cancellation of an unknown id records it as
    /// released (still <see cref="SettleOutcome.NotFound"/>), so a reservation request with that id
    /// that reaches the store later is a replay and reserves nothing.
    /// </summary>
    ValueTask<SettleOutcome> FinishAsync(FinishRequest request, CancellationToken cancellationToken);

    /// <summary>Adds spend to a bucket, once per operation id.</summary>
    ValueTask<BucketState> AddSpendAsync(AddSpendRequest request, CancellationToken cancellationToken);

    /// <summary>Reads a bucket, with reservations overdue at <paramref name="nowMs"/> counted as spent.</summary>
    ValueTask<BucketState> ReadBucketAsync(string bucket, long nowMs, CancellationToken cancellationToken);

    /// <summary>The account's stored terms; no limit for an account never created (or created by a bare kill).</summary>
    ValueTask<AccountConfig> ReadConfigAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Atomically gives the account <paramref name="terms"/> unless it already has terms; true when
    /// it did. Two runs creating one account at once end with one account, the first one's.
    /// </summary>
    ValueTask<bool> CreateAccountAsync(AccountConfig terms, long nowMs, CancellationToken cancellationToken);

    /// <summary>Atomically replaces the account's terms (creating it when missing); returns the terms before.</summary>
    ValueTask<AccountConfig> SetTermsAsync(AccountConfig terms, long nowMs, CancellationToken cancellationToken);

    /// <summary>Every account of the ledger (not only this store's) whose key starts with <paramref name="prefix"/>, by key.</summary>
    ValueTask<IReadOnlyList<AccountEntry>> ListAccountsAsync(string prefix, CancellationToken cancellationToken);

    ValueTask<KillSwitchState> ReadKillSwitchAsync(CancellationToken cancellationToken);

    /// <summary>Kills or resumes; true when that changed the switch.</summary>
    ValueTask<bool> SetKillSwitchAsync(KillSwitchChange change, CancellationToken cancellationToken);

    /// <summary>One reservation of this account; null when unknown.</summary>
    ValueTask<ReservationInfo?> ReadReservationAsync(string id, CancellationToken cancellationToken);

    /// <summary>A push channel that calls <paramref name="poke"/> on a kill or resume; null when the store has none (polling alone).</summary>
    ValueTask<IAsyncDisposable?> SubscribeKillSwitchAsync(Action poke, CancellationToken cancellationToken);

    /// <summary>
    /// Whether a request that failed with <paramref name="error"/> may still have been (or still be)
    /// carried out by the store: a reservation that may have landed is cancelled later.
    /// </summary>
    bool MayHaveLanded(Exception error);

    /// <summary>One line (no password) saying why <paramref name="error"/> makes the ledger unavailable; null when it is not a ledger fault.</summary>
    string? DescribeFault(Exception error);
}
