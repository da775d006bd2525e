namespace BudgetRun.Ledgers.Postgres;

/// <summary>
/// The statements of <see cref="PostgresStore"/>, all of them here (tables in <see cref="PostgresSchema"/>).
/// They run under READ COMMITTED inside transactions that first take the account tree's advisory
/// lock (<see cref="LockTree"/>): every write of a tree (all keys below one root) runs one at a time,
/// and each statement after the lock sees what the previous writer committed, so a check and the
/// write that acts on it can be separate statements. One lock per transaction, so writers never
/// deadlock one another. State numbers are <see cref="ReservationState"/>'s.
/// </summary>
internal static class PostgresSql
{
    /// <summary>The channel of <c>pg_notify</c>: one for the database, the payload is the account's key (channel names are short identifiers, keys are not).</summary>
    public const string KillChannel = "budget_run_kill";

    /// <summary>
    /// The first class of the two-key advisory locks, "bR" and 1: apart from the migration's lock
    /// (<see cref="PostgresSchema"/>) and from other programs' locks by chance only.
    /// </summary>
    public const int TreeLockClass = 0x62520001;

    /// <summary>Held until the transaction ends; a hash collision of two roots only makes them wait for each other.</summary>
    public const string LockTree = "SELECT pg_advisory_xact_lock(@class, hashtext(@root));";

    /// <summary>One level: its limit, terms version and kill switch.</summary>
    public const string ReadLevel = """
        SELECT limit_cents, terms_version, killed, kill_reason, killed_at FROM budget_run.accounts WHERE key = @key;
        """;

    public const string ReadConfig = "SELECT limit_cents, window_seconds, window_kind, timezone, terms_version FROM budget_run.accounts WHERE key = @key;";

    /// <summary>Gives the account terms, one version up; with the guard of <see cref="CreateAccount"/> only when it has none.</summary>
    private const string UpsertTerms = """
        INSERT INTO budget_run.accounts AS a (key, limit_cents, window_seconds, window_kind, timezone, terms_version, updated_at)
            VALUES (@key, @limit, @window, @kind, @zone, 1, @now)
            ON CONFLICT (key) DO UPDATE SET limit_cents = excluded.limit_cents,
                                            window_seconds = excluded.window_seconds,
                                            window_kind = excluded.window_kind,
                                            timezone = excluded.timezone,
                                            terms_version = a.terms_version + 1,
                                            updated_at = excluded.updated_at
        """;

    /// <summary>
    /// Terms for an account that has none (missing, or made by a bare kill), with its history entry;
    /// one row affected when it did. One statement outside the tree's lock: twenty runs opening the
    /// tree's accounts at once queue on the account's row only, never behind another client's work.
    /// </summary>
    public const string CreateAccount = "WITH created AS (\n" + UpsertTerms + """

            WHERE a.limit_cents IS NULL
            RETURNING a.key)
        INSERT INTO budget_run.history (at, key, kind, spent_delta, reserved_delta, run_id, host, pid, user_name, detail)
            SELECT @now, key, @entry, 0, 0, @run, @host, @pid, @user, @detail FROM created;
        """;

    public const string SetTerms = UpsertTerms + ";";

    public const string ListAccounts = """
        SELECT key, limit_cents, window_seconds, window_kind, timezone, terms_version, killed FROM budget_run.accounts
         WHERE starts_with(key, @prefix) ORDER BY key;
        """;

    public const string ReadBucket = "SELECT spent_cents, reserved_cents FROM budget_run.buckets WHERE key = @key AND bucket = @bucket;";

    /// <summary>The server's clock in Unix milliseconds: it decides windows and expiry for every client.</summary>
    public const string Now = "SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint;";

    /// <summary>Whether the reservation exists (a replay), and the server's clock, in one round trip.</summary>
    public const string ReservationExistsAndNow = """
        SELECT EXISTS (SELECT 1 FROM budget_run.reservations WHERE id = @id), floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint;
        """;

    /// <summary>One level's bucket with the reservations holding cents on it that are overdue at @now counted as spent.</summary>
    public const string ReadBucketNow = """
        SELECT COALESCE((SELECT spent_cents FROM budget_run.buckets WHERE key = @key AND bucket = @bucket), 0),
               COALESCE((SELECT reserved_cents FROM budget_run.buckets WHERE key = @key AND bucket = @bucket), 0),
               (SELECT COALESCE(SUM(r.cents), 0)::bigint
                  FROM budget_run.reservation_levels l JOIN budget_run.reservations r ON r.id = l.id
                 WHERE l.level = @key AND l.bucket = @bucket AND r.state = 0 AND r.expires_at <= @now);
        """;

    /// <summary>The reservations holding cents on a level that are overdue at @now, with the account and run that made each.</summary>
    public const string OverdueOnLevel = """
        SELECT r.id, r.cents, r.key, r.run_id, r.host, r.pid
          FROM budget_run.reservation_levels l JOIN budget_run.reservations r ON r.id = l.id
         WHERE l.level = @key AND r.state = 0 AND r.expires_at <= @now
         ORDER BY r.id;
        """;

    /// <summary>Whether a level has a reservation holding cents on it that is overdue at @now.</summary>
    public const string OverdueExists = """
        SELECT EXISTS (SELECT 1 FROM budget_run.reservation_levels l JOIN budget_run.reservations r ON r.id = l.id
                        WHERE l.level = @key AND r.state = 0 AND r.expires_at <= @now);
        """;

    /// <summary>Where a reservation holds its cents, root first.</summary>
    public const string LevelsOf = "SELECT level, bucket FROM budget_run.reservation_levels WHERE id = @id ORDER BY level;";

    /// <summary>An overdue reservation becomes spent in full, in the bucket it was made in, on one level.</summary>
    public const string ExpireOnLevel = """
        UPDATE budget_run.buckets SET spent_cents = spent_cents + @cents, reserved_cents = reserved_cents - @cents
         WHERE key = @key AND bucket = @bucket;
        """;

    public const string MarkExpired = "UPDATE budget_run.reservations SET state = 3 WHERE id = @id;";

    /// <summary>Finished reservations past the retention are forgotten, with any levels rows left.</summary>
    public const string ForgetLevels = """
        DELETE FROM budget_run.reservation_levels WHERE id IN
            (SELECT id FROM budget_run.reservations WHERE key = @key AND state IN (1, 2, 3) AND expires_at < @forget);
        """;

    public const string Forget = "DELETE FROM budget_run.reservations WHERE key = @key AND state IN (1, 2, 3) AND expires_at < @forget;";

    public const string HoldOnLevel = """
        INSERT INTO budget_run.buckets AS b (key, bucket, spent_cents, reserved_cents) VALUES (@key, @bucket, 0, @cents)
            ON CONFLICT (key, bucket) DO UPDATE SET reserved_cents = b.reserved_cents + excluded.reserved_cents;
        """;

    public const string InsertLevel = "INSERT INTO budget_run.reservation_levels (id, level, bucket) VALUES (@id, @key, @bucket);";

    public const string InsertReservation = """
        INSERT INTO budget_run.reservations (id, key, bucket, cents, state, created_at, expires_at, run_id, pid, host)
            VALUES (@id, @key, @bucket, @cents, 0, @now, @expires, @run, @pid, @host);
        """;

    /// <summary>The reservation to finish, locked until the finish commits.</summary>
    public const string FindReservation = """
        SELECT bucket, cents, state, nonce FROM budget_run.reservations WHERE id = @id AND key = @key FOR UPDATE;
        """;

    /// <summary>A cancelled reservation that never arrived: kept as released, so the request arriving late is a replay.</summary>
    public const string InsertCancelled = """
        INSERT INTO budget_run.reservations (id, key, bucket, cents, state, created_at, expires_at, settled_cents, nonce, ended_at, run_id, pid, host)
            VALUES (@id, @key, '', 0, 2, @now, @now, 0, @nonce, @now, @run, @pid, @host)
            ON CONFLICT (id) DO NOTHING;
        """;

    /// <summary>Open: the reservation leaves reserved and the real cost enters spent.</summary>
    public const string FinishOpen = """
        UPDATE budget_run.buckets SET reserved_cents = reserved_cents - @cents, spent_cents = spent_cents + @actual
         WHERE key = @key AND bucket = @bucket;
        """;

    /// <summary>Expired: it was counted as spent in full, so only the difference to the real cost changes.</summary>
    public const string FinishExpired = """
        UPDATE budget_run.buckets SET spent_cents = spent_cents + @actual - @cents WHERE key = @key AND bucket = @bucket;
        """;

    /// <summary>A finished reservation holds nothing: its levels rows go with <see cref="DropLevels"/> (the row itself stays, for replays).</summary>
    public const string MarkFinished = """
        UPDATE budget_run.reservations SET state = @state, settled_cents = @actual, nonce = @nonce, ended_at = @now WHERE id = @id;
        """;

    public const string DropLevels = "DELETE FROM budget_run.reservation_levels WHERE id = @id;";

    /// <summary>The id's row is the proof the spend was added (a retry after a lost answer finds it and adds nothing).</summary>
    public const string RememberOperation = """
        INSERT INTO budget_run.spend_operations (id, key, created_at) VALUES (@operation, @key, @now) ON CONFLICT (id) DO NOTHING;
        """;

    public const string ForgetOperations = "DELETE FROM budget_run.spend_operations WHERE key = @key AND created_at < @forget;";

    public const string AddSpend = """
        INSERT INTO budget_run.buckets AS b (key, bucket, spent_cents, reserved_cents) VALUES (@key, @bucket, @cents, 0)
            ON CONFLICT (key, bucket) DO UPDATE SET spent_cents = b.spent_cents + excluded.spent_cents;
        """;

    public const string Kill = """
        INSERT INTO budget_run.accounts AS a (key, killed, kill_reason, killed_at, updated_at) VALUES (@key, true, @reason, @now, @now)
            ON CONFLICT (key) DO UPDATE SET killed = true,
                                            kill_reason = excluded.kill_reason,
                                            killed_at = CASE WHEN a.killed THEN a.killed_at ELSE excluded.killed_at END,
                                            updated_at = excluded.updated_at;
        """;

    public const string Resume = """
        UPDATE budget_run.accounts SET killed = false, kill_reason = NULL, killed_at = NULL, updated_at = @now WHERE key = @key;
        """;

    /// <summary>In the kill's or resume's transaction: PostgreSQL delivers it to every listener when (and only if) that commits.</summary>
    public const string Notify = "SELECT pg_notify('" + KillChannel + "', @key);";

    public const string Listen = "LISTEN " + KillChannel + ";";

    public const string ReadReservation = """
        SELECT id, bucket, cents, state, settled_cents, created_at, expires_at, run_id, pid, host
          FROM budget_run.reservations WHERE id = @id AND key = @key;
        """;

    public const string InsertHistory = """
        INSERT INTO budget_run.history (at, key, kind, bucket, spent_delta, reserved_delta, reservation, origin, run_id, host, pid, user_name, detail)
            VALUES (@at, @key, @kind, @bucket, @spent, @reserved, @reservation, @origin, @run, @host, @pid, @user, @detail);
        """;

    /// <summary>Entries past the retention go a bounded batch at a time, so no write ever waits on a big delete.</summary>
    public const string TrimHistory = """
        DELETE FROM budget_run.history WHERE seq IN (SELECT seq FROM budget_run.history WHERE at < @cutoff ORDER BY at LIMIT 100);
        """;

    public const string ReadHistory = """
        SELECT seq, at, key, kind, bucket, spent_delta, reserved_delta, reservation, origin, run_id, host, pid, user_name, detail
          FROM budget_run.history WHERE key = @key AND at >= @since AND at < @until AND seq > @after ORDER BY seq LIMIT @limit;
        """;
}
