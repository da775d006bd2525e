namespace BudgetRun.Ledgers.Sqlite;

/// <summary>The statements of <see cref="SqliteStore"/>; the writes run inside its <c>BEGIN IMMEDIATE</c> transactions.</summary>
internal static class SqliteSql
{
    public const string ReadKillSwitch = "SELECT killed, kill_reason, killed_at FROM accounts WHERE key = $key;";

    public const string ReadConfig = "SELECT limit_cents, window_seconds, window_kind, timezone FROM accounts WHERE key = $key;";

    public const string ReadLimit = "SELECT limit_cents FROM accounts WHERE key = $key;";

    /// <summary>Gives the account terms; with the guard of <see cref="CreateAccount"/> only when it has none.</summary>
    private const string UpsertTerms = """
        INSERT INTO accounts (key, limit_cents, window_seconds, window_kind, timezone, updated_at)
            VALUES ($key, $limit, $window, $kind, $zone, $now)
            ON CONFLICT (key) DO UPDATE SET limit_cents = excluded.limit_cents,
                                            window_seconds = excluded.window_seconds,
                                            window_kind = excluded.window_kind,
                                            timezone = excluded.timezone,
                                            updated_at = excluded.updated_at
        """;

    /// <summary>Terms for an account that has none (missing, or made by a bare kill); changes() says whether it did.</summary>
    public const string CreateAccount = UpsertTerms + "\n    WHERE accounts.limit_cents IS NULL;";

    public const string SetTerms = UpsertTerms + ";";

    public const string ListAccounts = """
        SELECT key, limit_cents, window_seconds, window_kind, timezone, killed FROM accounts
         WHERE substr(key, 1, length($prefix)) = $prefix ORDER BY key;
        """;

    public const string ReadBucket = "SELECT spent_cents, reserved_cents FROM buckets WHERE key = $key AND bucket = $bucket;";

    public const string ReservationExists = "SELECT 1 FROM reservations WHERE id = $id;";

    /// <summary>One statement, so one consistent read: the bucket with its overdue reservations counted as spent, and the kill switch.</summary>
    public const string ReadBucketNow = """
        SELECT
            COALESCE((SELECT spent_cents FROM buckets WHERE key = $key AND bucket = $bucket), 0),
            COALESCE((SELECT reserved_cents FROM buckets WHERE key = $key AND bucket = $bucket), 0),
            (SELECT COALESCE(SUM(cents), 0) FROM reservations
              WHERE key = $key AND state = 0 AND expires_at <= $now AND bucket = $bucket),
            COALESCE((SELECT killed FROM accounts WHERE key = $key), 0),
            (SELECT kill_reason FROM accounts WHERE key = $key),
            (SELECT killed_at FROM accounts WHERE key = $key);
        """;

    /// <summary>
    /// Overdue reservations become spent in full (in the bucket they were made in) and finished ones
    /// past the retention are forgotten. A run never writes the account's terms.
    /// </summary>
    public const string Expire = """
        UPDATE buckets
           SET spent_cents = buckets.spent_cents + overdue.total,
               reserved_cents = buckets.reserved_cents - overdue.total
          FROM (SELECT bucket, SUM(cents) AS total FROM reservations
                 WHERE key = $key AND state = 0 AND expires_at <= $now GROUP BY bucket) AS overdue
         WHERE buckets.key = $key AND buckets.bucket = overdue.bucket;
        UPDATE reservations SET state = 3 WHERE key = $key AND state = 0 AND expires_at <= $now;
        DELETE FROM reservations WHERE key = $key AND state IN (1, 2, 3) AND expires_at < $forget;
        """;

    public const string InsertReservation = """
        INSERT INTO buckets (key, bucket, spent_cents, reserved_cents) VALUES ($key, $bucket, 0, $cents)
            ON CONFLICT (key, bucket) DO UPDATE SET reserved_cents = reserved_cents + excluded.reserved_cents;
        INSERT INTO reservations (id, key, bucket, cents, state, created_at, expires_at, run_id, pid, host)
            VALUES ($id, $key, $bucket, $cents, 0, $now, $expires, $run, $pid, $host);
        """;

    /// <summary>A cancelled reservation that never arrived: kept as released, so the request arriving late is a replay.</summary>
    public const string InsertCancelled = """
        INSERT INTO reservations (id, key, bucket, cents, state, created_at, expires_at, settled_cents, nonce, ended_at, run_id, pid, host)
            VALUES ($id, $key, '', 0, 2, $now, $now, 0, $nonce, $now, $run, $pid, $host);
        """;

    public const string FindReservation = "SELECT bucket, cents, state, nonce FROM reservations WHERE id = $id AND key = $key;";

    /// <summary>Open: the reservation leaves reserved and the real cost enters spent.</summary>
    public const string FinishOpen = """
        UPDATE buckets SET reserved_cents = reserved_cents - $cents, spent_cents = spent_cents + $actual
         WHERE key = $key AND bucket = $bucket;
        """;

    /// <summary>Expired: it was counted as spent in full, so only the difference to the real cost changes.</summary>
    public const string FinishExpired = """
        UPDATE buckets SET spent_cents = spent_cents + $actual - $cents WHERE key = $key AND bucket = $bucket;
        """;

    public const string MarkFinished = """
        UPDATE reservations SET state = $state, settled_cents = $actual, nonce = $nonce, ended_at = $now WHERE id = $id;
        """;

    public const string AddSpend = """
        INSERT INTO buckets (key, bucket, spent_cents, reserved_cents) VALUES ($key, $bucket, $cents, 0)
            ON CONFLICT (key, bucket) DO UPDATE SET spent_cents = spent_cents + excluded.spent_cents;
        """;

    public const string Kill = """
        INSERT INTO accounts (key, killed, kill_reason, killed_at, updated_at) VALUES ($key, 1, $reason, $now, $now)
            ON CONFLICT (key) DO UPDATE SET killed = 1,
                                            kill_reason = excluded.kill_reason,
                                            killed_at = CASE WHEN accounts.killed = 1 THEN accounts.killed_at ELSE excluded.killed_at END,
                                            updated_at = excluded.updated_at;
        """;

    public const string Resume = """
        UPDATE accounts SET killed = 0, kill_reason = NULL, killed_at = NULL, updated_at = $now WHERE key = $key;
        """;

    public const string ReadReservation = """
        SELECT id, bucket, cents, state, settled_cents, created_at, expires_at, run_id, pid, host
          FROM reservations WHERE id = $id AND key = $key;
        """;
}
