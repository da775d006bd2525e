namespace BudgetRun.Ledgers.Sqlite;

/// <summary>The statements of <see cref="SqliteStore"/>; the writes run inside its <c>BEGIN IMMEDIATE</c> transactions.</summary>
internal static class SqliteSql
{
    /// <summary>One level: its terms, their version and its kill switch.</summary>
    public const string ReadLevel = """
        SELECT limit_cents, window_seconds, window_kind, timezone, terms_version, killed, kill_reason, killed_at
          FROM accounts WHERE key = $key;
        """;

    public const string ReadKillSwitch = "SELECT killed, kill_reason, killed_at FROM accounts WHERE key = $key;";

    public const string ReadConfig = "SELECT limit_cents, window_seconds, window_kind, timezone, terms_version FROM accounts WHERE key = $key;";

    /// <summary>Gives the account terms, one version up; with the guard of <see cref="CreateAccount"/> only when it has none.</summary>
    private const string UpsertTerms = """
        INSERT INTO accounts (key, limit_cents, window_seconds, window_kind, timezone, terms_version, updated_at)
            VALUES ($key, $limit, $window, $kind, $zone, 1, $now)
            ON CONFLICT (key) DO UPDATE SET limit_cents = excluded.limit_cents,
                                            window_seconds = excluded.window_seconds,
                                            window_kind = excluded.window_kind,
                                            timezone = excluded.timezone,
                                            terms_version = accounts.terms_version + 1,
                                            updated_at = excluded.updated_at
        """;

    /// <summary>Terms for an account that has none (missing, or made by a bare kill); changes() says whether it did.</summary>
    public const string CreateAccount = UpsertTerms + "\n    WHERE accounts.limit_cents IS NULL;";

    public const string SetTerms = UpsertTerms + ";";

    public const string ListAccounts = """
        SELECT key, limit_cents, window_seconds, window_kind, timezone, terms_version, killed FROM accounts
         WHERE substr(key, 1, length($prefix)) = $prefix ORDER BY key;
        """;

    public const string ReadBucket = "SELECT spent_cents, reserved_cents FROM buckets WHERE key = $key AND bucket = $bucket;";

    public const string ReservationExists = "SELECT 1 FROM reservations WHERE id = $id;";

    /// <summary>
    /// One level's bucket with the reservations on it that are overdue at $now counted as spent (those
    /// of its levels rows, and its own account's reservations of the previous layouts, which have none).
    /// </summary>
    public const string ReadBucketNow = """
        SELECT
            COALESCE((SELECT spent_cents FROM buckets WHERE key = $key AND bucket = $bucket), 0),
            COALESCE((SELECT reserved_cents FROM buckets WHERE key = $key AND bucket = $bucket), 0),
            (SELECT COALESCE(SUM(r.cents), 0) FROM reservation_levels l JOIN reservations r ON r.id = l.id
              WHERE l.level = $key AND l.bucket = $bucket AND r.state = 0 AND r.expires_at <= $now)
          + (SELECT COALESCE(SUM(cents), 0) FROM reservations r
              WHERE r.key = $key AND r.state = 0 AND r.expires_at <= $now AND r.bucket = $bucket
                AND NOT EXISTS (SELECT 1 FROM reservation_levels l WHERE l.id = r.id));
        """;

    /// <summary>The reservations holding cents on a level that are overdue at $now, with the account and run that made each.</summary>
    public const string OverdueOnLevel = """
        SELECT r.id, r.cents, r.key, r.run_id, r.host, r.pid FROM reservation_levels l JOIN reservations r ON r.id = l.id
         WHERE l.level = $key AND r.state = 0 AND r.expires_at <= $now
        UNION
        SELECT r.id, r.cents, r.key, r.run_id, r.host, r.pid FROM reservations r
         WHERE r.key = $key AND r.state = 0 AND r.expires_at <= $now;
        """;

    public const string InsertHistory = """
        INSERT INTO history (at, key, kind, bucket, spent_delta, reserved_delta, reservation, origin, run_id, host, pid, user_name, detail)
            VALUES ($at, $key, $kind, $bucket, $spent, $reserved, $reservation, $origin, $run, $host, $pid, $user, $detail);
        """;

    /// <summary>Entries past the retention go a bounded batch at a time, so no write ever waits on a big delete.</summary>
    public const string TrimHistory = """
        DELETE FROM history WHERE seq IN (SELECT seq FROM history WHERE at < $cutoff ORDER BY at LIMIT 100);
        """;

    public const string ReadHistory = """
        SELECT seq, at, key, kind, bucket, spent_delta, reserved_delta, reservation, origin, run_id, host, pid, user_name, detail
          FROM history WHERE key = $key AND at >= $since AND at < $until AND seq > $after ORDER BY seq LIMIT $limit;
        """;

    /// <summary>Where a reservation holds its cents: its levels rows, or (previous layouts) its own account's bucket.</summary>
    public const string LevelsOf = """
        SELECT level, bucket FROM reservation_levels WHERE id = $id
        UNION ALL
        SELECT key, bucket FROM reservations
         WHERE id = $id AND NOT EXISTS (SELECT 1 FROM reservation_levels WHERE id = $id);
        """;

    /// <summary>An overdue reservation becomes spent in full, in the bucket it was made in, on one level.</summary>
    public const string ExpireOnLevel = """
        UPDATE buckets SET spent_cents = spent_cents + $cents, reserved_cents = reserved_cents - $cents
         WHERE key = $key AND bucket = $bucket;
        """;

    public const string MarkExpired = "UPDATE reservations SET state = 3 WHERE id = $id;";

    /// <summary>Finished reservations past the retention are forgotten, with any levels rows left.</summary>
    public const string Forget = """
        DELETE FROM reservation_levels WHERE id IN
            (SELECT id FROM reservations WHERE key = $key AND state IN (1, 2, 3) AND expires_at < $forget);
        DELETE FROM reservations WHERE key = $key AND state IN (1, 2, 3) AND expires_at < $forget;
        """;

    public const string HoldOnLevel = """
        INSERT INTO buckets (key, bucket, spent_cents, reserved_cents) VALUES ($key, $bucket, 0, $cents)
            ON CONFLICT (key, bucket) DO UPDATE SET reserved_cents = reserved_cents + excluded.reserved_cents;
        INSERT INTO reservation_levels (id, level, bucket) VALUES ($id, $key, $bucket);
        """;

    public const string InsertReservation = """
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

    /// <summary>A finished reservation holds nothing: its levels rows go (the row itself stays, for replays).</summary>
    public const string MarkFinished = """
        UPDATE reservations SET state = $state, settled_cents = $actual, nonce = $nonce, ended_at = $now WHERE id = $id;
        DELETE FROM reservation_levels WHERE id = $id;
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
