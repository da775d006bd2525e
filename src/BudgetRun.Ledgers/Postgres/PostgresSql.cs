namespace BudgetRun.Ledgers.Postgres;

/// <summary>
/// The statements of <see cref="PostgresStore"/>, all of them here (tables in <see cref="PostgresSchema"/>).
/// They run under READ COMMITTED: what keeps concurrent writers from overspending is that every
/// check that matters sits in the <c>WHERE</c> of the <c>UPDATE</c> that acts on it, which PostgreSQL
/// re-checks against the newest row once the row lock is granted. Locks are taken in one order
/// (reservation rows, then bucket rows, then the account) so writers do not deadlock one another.
/// State numbers are <see cref="ReservationState"/>'s.
/// </summary>
internal static class PostgresSql
{
    /// <summary>The channel of <c>pg_notify</c>: one for the database, the payload is the account's key (channel names are short identifiers, keys are not).</summary>
    public const string KillChannel = "budget_run_kill";

    public const string ReadKillSwitch = "SELECT killed, kill_reason, killed_at FROM budget_run.accounts WHERE key = @key;";

    public const string ReadConfig = "SELECT limit_cents, window_seconds, window_kind, timezone FROM budget_run.accounts WHERE key = @key";

    /// <summary>The terms before a <see cref="SetTerms"/>, locked until it commits.</summary>
    public const string ReadConfigForUpdate = ReadConfig + " FOR UPDATE";

    /// <summary>Gives the account terms; with the guard of <see cref="CreateAccount"/> only when it has none.</summary>
    private const string UpsertTerms = """
        INSERT INTO budget_run.accounts AS a (key, limit_cents, window_seconds, window_kind, timezone, updated_at)
            VALUES (@key, @limit, @window, @kind, @zone, @now)
            ON CONFLICT (key) DO UPDATE SET limit_cents = excluded.limit_cents,
                                            window_seconds = excluded.window_seconds,
                                            window_kind = excluded.window_kind,
                                            timezone = excluded.timezone,
                                            updated_at = excluded.updated_at
        """;

    /// <summary>Terms for an account that has none (missing, or made by a bare kill); one row affected when it did.</summary>
    public const string CreateAccount = UpsertTerms + "\n    WHERE a.limit_cents IS NULL;";

    public const string SetTerms = UpsertTerms + ";";

    public const string ListAccounts = """
        SELECT key, limit_cents, window_seconds, window_kind, timezone, killed FROM budget_run.accounts
         WHERE starts_with(key, @prefix) ORDER BY key;
        """;

    /// <summary>One statement, so one snapshot: the bucket with its overdue reservations counted as spent, and the kill switch.</summary>
    public const string ReadBucketNow = """
        SELECT COALESCE(b.spent_cents, 0), COALESCE(b.reserved_cents, 0),
               (SELECT COALESCE(SUM(cents), 0)::bigint FROM budget_run.reservations
                 WHERE key = @key AND state = 0 AND expires_at <= @now AND bucket = @bucket),
               COALESCE(a.killed, false), a.kill_reason, a.killed_at
          FROM (SELECT 1) AS one
          LEFT JOIN budget_run.buckets b ON b.key = @key AND b.bucket = @bucket
          LEFT JOIN budget_run.accounts a ON a.key = @key;
        """;

    /// <summary>
    /// Overdue reservations become spent in full (in the bucket they were made in). The state in the
    /// <c>WHERE</c> makes two clients expiring at once expire each reservation once.
    /// </summary>
    public const string Expire = """
        WITH overdue AS (
            UPDATE budget_run.reservations SET state = 3
             WHERE key = @key AND state = 0 AND expires_at <= @now
            RETURNING bucket, cents),
        totals AS (SELECT bucket, SUM(cents)::bigint AS total FROM overdue GROUP BY bucket)
        UPDATE budget_run.buckets AS b
           SET spent_cents = b.spent_cents + totals.total, reserved_cents = b.reserved_cents - totals.total
          FROM totals
         WHERE b.key = @key AND b.bucket = totals.bucket;
        """;

    /// <summary>Finished reservations past the retention are forgotten.</summary>
    public const string Forget = "DELETE FROM budget_run.reservations WHERE key = @key AND state IN (1, 2, 3) AND expires_at < @forget;";

    /// <summary>The bucket's row, so that <see cref="Reserve"/> always has a row to lock and check.</summary>
    public const string EnsureBucket = "INSERT INTO budget_run.buckets (key, bucket) VALUES (@key, @bucket) ON CONFLICT DO NOTHING;";

    /// <summary>
    /// Refuses when killed, is a replay of a known id, else reserves when it fits the account's
    /// limit (the request's own only when the account has none). The fit is checked in the
    /// <c>UPDATE</c>'s <c>WHERE</c>, so a writer that waited for the bucket's row checks the newest
    /// numbers; the reservation row is written only when the bucket was. Answers {status (1 reserved,
    /// 0 insufficient, 2 killed), spent, reserved, killed, reason, killed_at}. A replay racing its
    /// original fails on the reservation's key and rolls back whole (the store retries it: then a replay).
    /// </summary>
    public const string Reserve = """
        WITH account AS (
            SELECT killed, kill_reason, killed_at, limit_cents FROM budget_run.accounts WHERE key = @key),
        known AS (
            SELECT EXISTS (SELECT 1 FROM budget_run.reservations WHERE id = @id) AS replay),
        held AS (
            UPDATE budget_run.buckets SET reserved_cents = reserved_cents + @cents
             WHERE key = @key AND bucket = @bucket
               AND NOT COALESCE((SELECT killed FROM account), false)
               AND NOT (SELECT replay FROM known)
               AND spent_cents + reserved_cents + @cents <= COALESCE((SELECT limit_cents FROM account), @limit)
            RETURNING spent_cents, reserved_cents),
        made AS (
            INSERT INTO budget_run.reservations (id, key, bucket, cents, state, created_at, expires_at, run_id, pid, host)
            SELECT @id, @key, @bucket, @cents, 0, @now, @expires, @run, @pid, @host FROM held
            RETURNING 1)
        SELECT CASE WHEN COALESCE(a.killed, false) THEN 2 WHEN k.replay OR h.spent_cents IS NOT NULL THEN 1 ELSE 0 END,
               COALESCE(h.spent_cents, b.spent_cents, 0), COALESCE(h.reserved_cents, b.reserved_cents, 0),
               COALESCE(a.killed, false), a.kill_reason, a.killed_at
          FROM known k
          LEFT JOIN account a ON true
          LEFT JOIN held h ON true
          LEFT JOIN budget_run.buckets b ON b.key = @key AND b.bucket = @bucket;
        """;

    /// <summary>The reservation to finish, locked until the finish commits (a concurrent finish of it waits, then sees it finished).</summary>
    public const string FindReservation = """
        SELECT bucket, cents, state, nonce FROM budget_run.reservations WHERE id = @id AND key = @key FOR UPDATE;
        """;

    /// <summary>
    /// A cancelled reservation that never arrived: kept as released, so the request arriving late is a
    /// replay. Nothing inserted: the request arrived meanwhile, and the finish looks again.
    /// </summary>
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

    public const string MarkFinished = """
        UPDATE budget_run.reservations SET state = @state, settled_cents = @actual, nonce = @nonce, ended_at = @now WHERE id = @id;
        """;

    /// <summary>
    /// Adds once per operation id: the id's row is the proof it was added (a retry after a lost answer
    /// finds it and adds nothing). Ids older than the memory are forgotten.
    /// </summary>
    public const string AddSpend = """
        WITH operation AS (
            INSERT INTO budget_run.spend_operations (id, key, created_at) VALUES (@operation, @key, @now)
                ON CONFLICT (id) DO NOTHING
            RETURNING 1)
        INSERT INTO budget_run.buckets AS b (key, bucket, spent_cents)
            SELECT @key, @bucket, @cents FROM operation
            ON CONFLICT (key, bucket) DO UPDATE SET spent_cents = b.spent_cents + excluded.spent_cents;
        """;

    public const string ForgetOperations = "DELETE FROM budget_run.spend_operations WHERE key = @key AND created_at < @forget;";

    /// <summary>The bucket and the kill switch after a write.</summary>
    public const string ReadBucket = """
        SELECT COALESCE(b.spent_cents, 0), COALESCE(b.reserved_cents, 0), COALESCE(a.killed, false), a.kill_reason, a.killed_at
          FROM (SELECT 1) AS one
          LEFT JOIN budget_run.buckets b ON b.key = @key AND b.bucket = @bucket
          LEFT JOIN budget_run.accounts a ON a.key = @key;
        """;

    /// <summary>A kill of an account with no row yet: one row inserted means the switch changed.</summary>
    public const string KillNew = """
        INSERT INTO budget_run.accounts (key, killed, kill_reason, killed_at, updated_at) VALUES (@key, true, @reason, @now, @now)
            ON CONFLICT (key) DO NOTHING;
        """;

    /// <summary>Locks the account's row for a kill; answers whether it was killed before.</summary>
    public const string LockKillSwitch = "SELECT killed FROM budget_run.accounts WHERE key = @key FOR UPDATE;";

    public const string Kill = """
        UPDATE budget_run.accounts
           SET killed = true, kill_reason = @reason, killed_at = CASE WHEN killed THEN killed_at ELSE @now END, updated_at = @now
         WHERE key = @key;
        """;

    /// <summary>One row affected means the switch changed (the <c>WHERE</c> is re-checked by a resume that waited for another).</summary>
    public const string Resume = """
        UPDATE budget_run.accounts SET killed = false, kill_reason = NULL, killed_at = NULL, updated_at = @now WHERE key = @key AND killed;
        """;

    /// <summary>In the kill's or resume's transaction: PostgreSQL delivers it to every listener when (and only if) that commits.</summary>
    public const string Notify = "SELECT pg_notify('" + KillChannel + "', @key);";

    public const string Listen = "LISTEN " + KillChannel + ";";

    public const string ReadReservation = """
        SELECT id, bucket, cents, state, settled_cents, created_at, expires_at, run_id, pid, host
          FROM budget_run.reservations WHERE id = @id AND key = @key;
        """;
}
