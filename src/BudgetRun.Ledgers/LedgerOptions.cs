namespace BudgetRun.Ledgers;

/// <summary>How a ledger behaves; the defaults are the documented ones.</summary>
internal sealed record LedgerOptions
{
    /// <summary>A reservation not settled within this time counts as spent in full (<c>--reservation-ttl</c>).</summary>
    public TimeSpan ReservationTtl { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>SQLite: how long a write waits for another process's write lock before failing closed.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Redis: how long connecting and each command may take before failing closed.</summary>
    public TimeSpan RedisTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>PostgreSQL: how long connecting and each statement may take (lock waits included) before failing closed.</summary>
    public TimeSpan PostgresTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How often a kill-switch watch reads the account; null for the ledger's default.</summary>
    public TimeSpan? KillSwitchPollInterval { get; init; }

    /// <summary>How long settled, released and expired reservations are kept (for 409 answers and audit).</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How long history entries are kept (<c>--history-retention</c>); older ones are removed in bounded batches as new ones are written.</summary>
    public TimeSpan HistoryRetention { get; init; } = TimeSpan.FromDays(90);

    /// <summary>
    /// Tests only: the client's clock (the injected <see cref="TimeProvider"/>) decides windows and
    /// expiry instead of the store's own, so that a test can move time. Never set by the CLI.
    /// </summary>
    public bool ClientClock { get; init; }

    /// <summary>
    /// Tests only: Redis runs each script as this makes it, e.g. with every command checked to touch
    /// only declared keys (what Dragonfly enforces and Redis does not). Never set by the CLI.
    /// </summary>
    public Func<string, string>? RewriteScript { get; init; }

    /// <summary>Called on every failed ledger operation, before the operation throws; the CLI counts and logs it.</summary>
    public Action<LedgerFault>? OnFault { get; init; }

    public static LedgerOptions Default { get; } = new();

    /// <summary>Throws when a value is out of range, naming it.</summary>
    public void Validate()
    {
        Positive(ReservationTtl, nameof(ReservationTtl));
        Positive(BusyTimeout, nameof(BusyTimeout));
        Positive(RedisTimeout, nameof(RedisTimeout));
        Positive(PostgresTimeout, nameof(PostgresTimeout));
        Positive(Retention, nameof(Retention));
        Positive(HistoryRetention, nameof(HistoryRetention));
        if (KillSwitchPollInterval is { } poll)
        {
            Positive(poll, nameof(KillSwitchPollInterval));
        }
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive");
        }
    }
}
