using System.Collections.Concurrent;
using System.Globalization;
using BudgetRun.Ledgers.Locations;
using Microsoft.Data.Sqlite;

namespace BudgetRun.Ledgers.Sqlite;

/// <summary>
/// An account in an SQLite file: the embedded ledger of one machine. Every write is one
/// <c>BEGIN IMMEDIATE</c> transaction, which takes the database's single write lock before it reads,
/// so concurrent processes serialise on it and never overspend; WAL mode keeps readers off that lock.
/// A writer that waits longer than the busy timeout fails closed. No push channel: the kill switch is polled.
/// </summary>
internal sealed class SqliteStore : ILedgerStore
{
    /// <summary>
    /// One writer at a time per database file within this process: threads queue here instead of in
    /// SQLite's busy handler, whose sleeps would otherwise turn contention into a convoy.
    /// </summary>
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> _writeGates = new(StringComparer.Ordinal);

    private readonly SemaphoreSlim _writeGate;
    private readonly string _connectionString;
    private readonly string _setup;
    private readonly string _key;
    private readonly IReadOnlyList<string> _levels;
    private readonly LedgerOptions _options;

    private SqliteStore(SqliteLedgerLocation location, string accountKey, LedgerOptions options)
    {
        Name = location.DisplayName;
        Path = location.Path;
        _key = accountKey;
        _levels = AccountPath.Levels(accountKey);
        _options = options;
        _writeGate = _writeGates.GetOrAdd(location.Path, static _ => new SemaphoreSlim(1, 1));
        var busyMs = (long)Math.Ceiling(options.BusyTimeout.TotalMilliseconds);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = location.Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            // Microsoft.Data.Sqlite retries a busy statement until this many seconds have passed,
            // on top of SQLite's own busy handler; the larger of the two is the effective timeout.
            DefaultTimeout = (int)Math.Max(1, Math.Ceiling(options.BusyTimeout.TotalSeconds)),
        }.ToString();
        // FULL: a commit is on disk before the reservation is answered (money, not a cache).
        _setup = string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {busyMs}; PRAGMA synchronous = FULL;");
    }

    public string Name { get; }

    /// <summary>The database file.</summary>
    public string Path { get; }

    public TimeSpan DefaultKillSwitchPollInterval => TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Opens (creating the file, its directory and the tables when missing, unless not
    /// <paramref name="createFile"/>) and checks the database is usable, migrating an older layout.
    /// </summary>
    /// <exception cref="BudgetRun.Engine.Budget.LedgerUnavailableException">The file cannot be created, opened or read (reported to <see cref="LedgerOptions.OnFault"/>).</exception>
    /// <exception cref="AccountNotFoundException">The file does not exist and may not be created.</exception>
    public static async ValueTask<SqliteStore> OpenAsync(SqliteLedgerLocation location, string accountKey, LedgerOptions options, bool createFile = true)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(options);
        if (!createFile && !File.Exists(location.Path))
        {
            throw new AccountNotFoundException($"ledger {location.DisplayName} does not exist (no budget-run has used it: check --ledger)");
        }
        var store = new SqliteStore(location, accountKey, options);
        try
        {
            if (System.IO.Path.GetDirectoryName(store.Path) is { Length: > 0 } directory)
            {
                Directory.CreateDirectory(directory);
            }
            using var connection = store.Connect();
            SqliteSchema.Ensure(connection);
        }
        catch (Exception ex)
        {
            await store.DisposeAsync().ConfigureAwait(false);
            if (store.DescribeFault(ex) is { } reason)
            {
                throw StoreGuard.Unavailable(store.Name, LedgerOperation.Open, reason, ex, options);
            }
            throw;
        }
        return store;
    }

    /// <summary>One machine, one clock: the client's time is the ledger's.</summary>
    public ValueTask<long?> ReadClockAsync(CancellationToken cancellationToken) => ValueTask.FromResult<long?>(null);

    public ValueTask<ReserveAnswer> ReserveAsync(ReserveRequest request, CancellationToken cancellationToken) =>
        WriteAsync(connection =>
        {
            var levels = request.Levels;
            var stored = new LevelRow[levels.Count];
            for (var i = 0; i < levels.Count; i++)
            {
                stored[i] = ReadLevel(connection, levels[i].Key);
                if (stored[i].KillSwitch.Engaged)
                {
                    return new ReserveAnswer(ReserveStatus.Killed, ReadLevels(connection, levels, stored), i);
                }
            }
            if (Scalar(connection, SqliteSql.ReservationExists, ("$id", request.Id)) is not null)
            {
                return new ReserveAnswer(ReserveStatus.Reserved, ReadLevels(connection, levels, stored), -1); // a replay
            }
            for (var i = 0; i < levels.Count; i++)
            {
                var leafWithoutTerms = i == levels.Count - 1 && stored[i].Limit is null;
                if (!leafWithoutTerms && stored[i].Version != levels[i].Version)
                {
                    return new ReserveAnswer(ReserveStatus.Stale, [], -1);
                }
            }
            foreach (var level in levels)
            {
                Expire(connection, level.Key, request.NowMs);
            }
            Execute(connection, SqliteSql.Forget, ("$key", _key), ("$forget", request.NowMs - (long)_options.Retention.TotalMilliseconds));
            var states = ReadLevels(connection, levels, stored);
            var decider = -1;
            long tightest = long.MaxValue;
            for (var i = 0; i < levels.Count; i++)
            {
                // The run's account without stored terms is held to the run's own (a ledger composed
                // without opening the account first); any other level without terms takes no part.
                var limit = stored[i].Limit ?? (i == levels.Count - 1 ? request.LeafTerms.LimitCents : null);
                if (limit is not { } l || levels[i].Bucket is null)
                {
                    continue;
                }
                var remaining = l - states[i].SpentCents - states[i].ReservedCents;
                if (request.Cents > remaining && remaining < tightest)
                {
                    (decider, tightest) = (i, remaining);
                }
            }
            if (decider >= 0)
            {
                return new ReserveAnswer(ReserveStatus.Insufficient, states, decider);
            }
            var leaf = request.Leaf;
            Execute(connection, SqliteSql.InsertReservation,
                ("$key", _key), ("$bucket", leaf.Bucket ?? ""), ("$cents", request.Cents), ("$id", request.Id),
                ("$now", request.NowMs), ("$expires", request.ExpiresAtMs), ("$run", request.Run.RunId),
                ("$pid", request.Run.ProcessId), ("$host", request.Run.Host));
            for (var i = 0; i < levels.Count; i++)
            {
                if (levels[i].Bucket is { } bucket)
                {
                    Execute(connection, SqliteSql.HoldOnLevel, ("$id", request.Id), ("$key", levels[i].Key), ("$bucket", bucket), ("$cents", request.Cents));
                    Record(connection, request.NowMs, levels[i].Key, HistoryKind.Reserve, bucket, 0, request.Cents, request.Id, _key, request.Run, null);
                    states[i] = states[i] with { ReservedCents = states[i].ReservedCents + request.Cents };
                }
            }
            return new ReserveAnswer(ReserveStatus.Reserved, states, -1);
        }, cancellationToken);

    public ValueTask<SettleOutcome> FinishAsync(FinishRequest request, CancellationToken cancellationToken) =>
        WriteAsync(connection =>
        {
            var id = request.Id;
            string? bucket = null;
            long cents = 0;
            var state = ReservationState.Open;
            string? previousNonce = null;
            using (var command = Command(connection, SqliteSql.FindReservation, ("$id", id), ("$key", _key)))
            using (var reader = command.ExecuteReader())
            {
                if (reader.Read())
                {
                    bucket = reader.GetString(0);
                    cents = reader.GetInt64(1);
                    state = (ReservationState)reader.GetInt32(2);
                    previousNonce = reader.IsDBNull(3) ? null : reader.GetString(3);
                }
            }
            if (bucket is null)
            {
                if (request.Kind == FinishKind.Cancel)
                {
                    Execute(connection, SqliteSql.InsertCancelled, ("$id", id), ("$key", _key), ("$nonce", request.Nonce), ("$now", request.NowMs),
                        ("$run", request.Run.RunId), ("$pid", request.Run.ProcessId), ("$host", request.Run.Host));
                }
                return SettleOutcome.NotFound;
            }
            if (state is ReservationState.Settled or ReservationState.Released)
            {
                return previousNonce == request.Nonce ? SettleOutcome.Settled : SettleOutcome.AlreadySettled;
            }
            var open = state == ReservationState.Open;
            var kind = request.Kind == FinishKind.Settle ? HistoryKind.Settle : HistoryKind.Release;
            foreach (var (level, levelBucket) in LevelsOf(connection, id))
            {
                Execute(connection, open ? SqliteSql.FinishOpen : SqliteSql.FinishExpired,
                    ("$key", level), ("$bucket", levelBucket), ("$cents", cents), ("$actual", request.ActualCents));
                Record(connection, request.NowMs, level, kind, levelBucket,
                    open ? request.ActualCents : request.ActualCents - cents, open ? -cents : 0, id, _key, request.Run, null);
            }
            Execute(connection, SqliteSql.MarkFinished,
                ("$id", id), ("$state", (int)(request.Kind == FinishKind.Settle ? ReservationState.Settled : ReservationState.Released)),
                ("$actual", request.ActualCents), ("$nonce", request.Nonce), ("$now", request.NowMs));
            return SettleOutcome.Settled;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<BucketState>> AddSpendAsync(AddSpendRequest request, CancellationToken cancellationToken) =>
        WriteAsync(connection =>
        {
            // One local transaction: it commits or it does not, so the operation id has nothing to make idempotent.
            var states = new BucketState[request.Levels.Count];
            for (var i = 0; i < states.Length; i++)
            {
                var level = request.Levels[i];
                var killSwitch = ReadLevel(connection, level.Key).KillSwitch;
                if (level.Bucket is { } bucket)
                {
                    Execute(connection, SqliteSql.AddSpend, ("$key", level.Key), ("$bucket", bucket), ("$cents", request.Cents));
                    Record(connection, request.NowMs, level.Key, HistoryKind.Spend, bucket, request.Cents, 0, null, _key, request.Run, null);
                    states[i] = ReadBucket(connection, level.Key, bucket, killSwitch);
                }
                else
                {
                    states[i] = new BucketState(0, 0, killSwitch);
                }
            }
            return (IReadOnlyList<BucketState>)states;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<BucketState>> ReadBucketsAsync(IReadOnlyList<LevelBucket> levels, long nowMs, CancellationToken cancellationToken)
    {
        using var connection = Connect();
        // One read transaction: every level as of one moment.
        Execute(connection, "BEGIN;");
        try
        {
            var states = new BucketState[levels.Count];
            for (var i = 0; i < states.Length; i++)
            {
                var killSwitch = ReadLevel(connection, levels[i].Key).KillSwitch;
                if (levels[i].Bucket is not { } bucket)
                {
                    states[i] = new BucketState(0, 0, killSwitch);
                    continue;
                }
                using var command = Command(connection, SqliteSql.ReadBucketNow, ("$key", levels[i].Key), ("$bucket", bucket), ("$now", nowMs));
                using var reader = command.ExecuteReader();
                reader.Read();
                var overdue = reader.GetInt64(2);
                states[i] = new BucketState(reader.GetInt64(0) + overdue, reader.GetInt64(1) - overdue, killSwitch);
            }
            return ValueTask.FromResult<IReadOnlyList<BucketState>>(states);
        }
        finally
        {
            Execute(connection, "COMMIT;");
        }
    }

    public ValueTask<IReadOnlyList<AccountConfig>> ReadTermsAsync(CancellationToken cancellationToken)
    {
        using var connection = Connect();
        Execute(connection, "BEGIN;");
        try
        {
            return ValueTask.FromResult<IReadOnlyList<AccountConfig>>([.. _levels.Select(level => ReadConfig(connection, level))]);
        }
        finally
        {
            Execute(connection, "COMMIT;");
        }
    }

    public ValueTask<bool> CreateAccountAsync(AccountConfig terms, long nowMs, RunIdentity actor, CancellationToken cancellationToken) =>
        WriteAsync(connection =>
        {
            Execute(connection, SqliteSql.CreateAccount, TermsParameters(terms, nowMs));
            var created = Convert.ToInt64(Scalar(connection, "SELECT changes();"), CultureInfo.InvariantCulture) > 0;
            if (created)
            {
                Record(connection, nowMs, _key, HistoryKind.Terms, null, 0, 0, null, _key, actor, "created: " + terms.Describe());
            }
            return created;
        }, cancellationToken);

    public ValueTask<AccountConfig> SetTermsAsync(AccountConfig terms, long nowMs, RunIdentity actor, CancellationToken cancellationToken) =>
        WriteAsync(connection =>
        {
            var before = ReadConfig(connection, _key);
            Execute(connection, SqliteSql.SetTerms, TermsParameters(terms, nowMs));
            Record(connection, nowMs, _key, HistoryKind.Terms, null, 0, 0, null, _key, actor,
                terms.Describe() + (before.HasTerms ? $" (was {before.Describe()})" : " (new account)"));
            return before;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<AccountEntry>> ListAccountsAsync(string prefix, CancellationToken cancellationToken)
    {
        using var connection = Connect();
        using var command = Command(connection, SqliteSql.ListAccounts, ("$prefix", prefix));
        using var reader = command.ExecuteReader();
        var accounts = new List<AccountEntry>();
        while (reader.Read())
        {
            accounts.Add(new AccountEntry(reader.GetString(0), ConfigFrom(reader, 1), reader.GetInt64(6) != 0));
        }
        return ValueTask.FromResult<IReadOnlyList<AccountEntry>>(accounts);
    }

    public ValueTask<KillSwitchState> ReadKillSwitchAsync(CancellationToken cancellationToken)
    {
        using var connection = Connect();
        foreach (var level in _levels)
        {
            if (ReadLevel(connection, level).KillSwitch is { Engaged: true } engaged)
            {
                return ValueTask.FromResult(engaged);
            }
        }
        return ValueTask.FromResult(KillSwitchState.Off);
    }

    public ValueTask<bool> SetKillSwitchAsync(KillSwitchChange change, CancellationToken cancellationToken) =>
        WriteAsync(connection =>
        {
            var was = ReadLevel(connection, _key).KillSwitch.Engaged;
            Execute(connection, change.Engaged ? SqliteSql.Kill : SqliteSql.Resume,
                ("$key", _key), ("$reason", change.Reason), ("$now", change.NowMs));
            if (change.Engaged || was)
            {
                Record(connection, change.NowMs, _key, change.Engaged ? HistoryKind.Kill : HistoryKind.Resume, null, 0, 0, null, _key, change.Actor, change.Reason);
            }
            return was != change.Engaged;
        }, cancellationToken);

    public ValueTask<ReservationInfo?> ReadReservationAsync(string id, CancellationToken cancellationToken)
    {
        using var connection = Connect();
        using var command = Command(connection, SqliteSql.ReadReservation, ("$id", id), ("$key", _key));
        using var reader = command.ExecuteReader();
        return ValueTask.FromResult(reader.Read()
            ? new ReservationInfo(
                reader.GetString(0), reader.GetString(1), reader.GetInt64(2), (ReservationState)reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetInt64(4),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
                new RunIdentity(reader.GetString(7), reader.GetInt32(8), reader.GetString(9)))
            : null);
    }

    public ValueTask<IReadOnlyList<HistoryEntry>> ReadHistoryAsync(long sinceMs, long untilMs, string? after, int limit, CancellationToken cancellationToken)
    {
        var afterSeq = after is null ? 0 : long.Parse(after, NumberStyles.None, CultureInfo.InvariantCulture);
        using var connection = Connect();
        using var command = Command(connection, SqliteSql.ReadHistory,
            ("$key", _key), ("$since", sinceMs), ("$until", untilMs), ("$after", afterSeq), ("$limit", limit));
        using var reader = command.ExecuteReader();
        var entries = new List<HistoryEntry>();
        while (reader.Read())
        {
            entries.Add(new HistoryEntry(
                reader.GetInt64(0).ToString(CultureInfo.InvariantCulture), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
                reader.GetString(2), (HistoryKind)reader.GetInt32(3), NullableString(reader, 4), reader.GetInt64(5), reader.GetInt64(6),
                NullableString(reader, 7), NullableString(reader, 8), NullableString(reader, 9), NullableString(reader, 10),
                reader.IsDBNull(11) ? null : reader.GetInt32(11), NullableString(reader, 12), NullableString(reader, 13)));
        }
        return ValueTask.FromResult<IReadOnlyList<HistoryEntry>>(entries);
    }

    public ValueTask<IAsyncDisposable?> SubscribeKillSwitchAsync(Action poke, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IAsyncDisposable?>(null);

    /// <summary>
    /// A failed transaction is rolled back, so it did not happen, except an I/O error, which can
    /// strike while the commit is being made durable.
    /// </summary>
    public bool MayHaveLanded(Exception error) => error is SqliteException { SqliteErrorCode: 10 }; // SQLITE_IOERR

    public string? DescribeFault(Exception error) => error switch
    {
        SqliteException { SqliteErrorCode: 5 or 6 } or TimeoutException => // SQLITE_BUSY, SQLITE_LOCKED
            string.Create(CultureInfo.InvariantCulture,
                $"the database is locked by another writer (waited {_options.BusyTimeout.TotalSeconds:0.###}s)"),
        SqliteException { SqliteErrorCode: 8 } => "the database is read-only (attempt to write a readonly database)", // SQLITE_READONLY
        SqliteException { SqliteErrorCode: 13 } => "the disk holding the database is full (database or disk is full)", // SQLITE_FULL
        SqliteException { SqliteErrorCode: 10 } => "disk I/O error: is the disk holding the database full or failing?", // SQLITE_IOERR
        SqliteException { SqliteErrorCode: 14 } => "the database file cannot be opened (check the path and its permissions)", // SQLITE_CANTOPEN
        SqliteException ex => OneLine(ex.Message),
        InvalidDataException ex => OneLine(ex.Message),
        IOException or UnauthorizedAccessException => $"cannot create the database's directory: {OneLine(error.Message)}",
        _ => null,
    };

    public ValueTask DisposeAsync()
    {
        // Close the pooled connections of this file (the next open makes new ones).
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        return ValueTask.CompletedTask;
    }

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            Execute(connection, _setup);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="body"/> in one <c>BEGIN IMMEDIATE</c> transaction: the write lock is held from the first read.</summary>
    private async ValueTask<T> WriteAsync<T>(Func<SqliteConnection, T> body, CancellationToken cancellationToken)
    {
        if (!await _writeGate.WaitAsync(_options.BusyTimeout, cancellationToken).ConfigureAwait(false))
        {
            throw new TimeoutException("the write gate of this process stayed busy");
        }
        try
        {
            using var connection = Connect();
            Execute(connection, "BEGIN IMMEDIATE;");
            try
            {
                var result = body(connection);
                Execute(connection, "COMMIT;");
                return result;
            }
            catch
            {
                try
                {
                    Execute(connection, "ROLLBACK;");
                }
                catch (SqliteException)
                {
                    // SQLite already rolled back (or the connection is gone); the transaction did not happen.
                }
                throw;
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>One level as stored: its limit and terms version, and its own kill switch.</summary>
    private readonly record struct LevelRow(long? Limit, long Version, KillSwitchState KillSwitch);

    private static LevelRow ReadLevel(SqliteConnection connection, string key)
    {
        using var command = Command(connection, SqliteSql.ReadLevel, ("$key", key));
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return default;
        }
        var killSwitch = reader.GetInt64(5) != 0
            ? new KillSwitchState(true, NullableString(reader, 6), NullableTime(reader, 7), key)
            : KillSwitchState.Off;
        return new LevelRow(reader.IsDBNull(0) ? null : reader.GetInt64(0), reader.GetInt64(4), killSwitch);
    }

    /// <summary>The levels' buckets inside a write (no overdue reservation left: they were just expired).</summary>
    private static BucketState[] ReadLevels(SqliteConnection connection, IReadOnlyList<LevelBucket> levels, LevelRow[] stored)
    {
        var states = new BucketState[levels.Count];
        for (var i = 0; i < states.Length; i++)
        {
            states[i] = levels[i].Bucket is { } bucket
                ? ReadBucket(connection, levels[i].Key, bucket, stored[i].KillSwitch)
                : new BucketState(0, 0, stored[i].KillSwitch);
        }
        return states;
    }

    /// <summary>Every reservation holding cents on the level that is overdue becomes spent in full, on each level it holds cents on.</summary>
    private void Expire(SqliteConnection connection, string key, long nowMs)
    {
        var overdue = new List<(string Id, long Cents, string Account, RunIdentity Run)>();
        using (var command = Command(connection, SqliteSql.OverdueOnLevel, ("$key", key), ("$now", nowMs)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                overdue.Add((reader.GetString(0), reader.GetInt64(1), reader.GetString(2),
                    new RunIdentity(reader.GetString(3), reader.GetInt32(5), reader.GetString(4))));
            }
        }
        foreach (var (id, cents, account, run) in overdue)
        {
            foreach (var (level, bucket) in LevelsOf(connection, id))
            {
                Execute(connection, SqliteSql.ExpireOnLevel, ("$key", level), ("$bucket", bucket), ("$cents", cents));
                Record(connection, nowMs, level, HistoryKind.Expire, bucket, cents, -cents, id, account, run, null);
            }
            Execute(connection, SqliteSql.MarkExpired, ("$id", id));
        }
    }

    /// <summary>One history entry, in the transaction of the change it records; then a bounded batch of entries past the retention goes.</summary>
    private void Record(SqliteConnection connection, long nowMs, string key, HistoryKind kind, string? bucket, long spent, long reserved,
        string? reservation, string origin, RunIdentity run, string? detail)
    {
        Execute(connection, SqliteSql.InsertHistory,
            ("$at", nowMs), ("$key", key), ("$kind", (int)kind), ("$bucket", bucket), ("$spent", spent), ("$reserved", reserved),
            ("$reservation", reservation), ("$origin", origin == key ? null : origin), ("$run", run.RunId), ("$host", run.Host),
            ("$pid", run.ProcessId), ("$user", run.User.Length == 0 ? null : run.User), ("$detail", detail));
        Execute(connection, SqliteSql.TrimHistory, ("$cutoff", nowMs - (long)_options.HistoryRetention.TotalMilliseconds));
    }

    private static List<(string Level, string Bucket)> LevelsOf(SqliteConnection connection, string id)
    {
        using var command = Command(connection, SqliteSql.LevelsOf, ("$id", id));
        using var reader = command.ExecuteReader();
        var levels = new List<(string, string)>();
        while (reader.Read())
        {
            levels.Add((reader.GetString(0), reader.GetString(1)));
        }
        return levels;
    }

    private static AccountConfig ReadConfig(SqliteConnection connection, string key)
    {
        using var command = Command(connection, SqliteSql.ReadConfig, ("$key", key));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ConfigFrom(reader, 0) : default;
    }

    private static AccountConfig ConfigFrom(SqliteDataReader reader, int at) => new(
        reader.IsDBNull(at) ? null : reader.GetInt64(at),
        reader.IsDBNull(at + 1) ? null : reader.GetInt64(at + 1),
        NullableString(reader, at + 2),
        NullableString(reader, at + 3),
        reader.GetInt64(at + 4));

    private (string Name, object? Value)[] TermsParameters(AccountConfig terms, long nowMs) =>
        [("$key", _key), ("$limit", terms.LimitCents), ("$window", terms.WindowSeconds ?? 0), ("$kind", terms.Calendar), ("$zone", terms.TimeZone), ("$now", nowMs)];

    private static BucketState ReadBucket(SqliteConnection connection, string key, string bucket, KillSwitchState killSwitch)
    {
        using var command = Command(connection, SqliteSql.ReadBucket, ("$key", key), ("$bucket", bucket));
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new BucketState(reader.GetInt64(0), reader.GetInt64(1), killSwitch)
            : new BucketState(0, 0, killSwitch);
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return command;
    }

    private static void Execute(SqliteConnection connection, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var command = Command(connection, sql, parameters);
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var command = Command(connection, sql, parameters);
        return command.ExecuteScalar();
    }

    private static string? NullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static DateTimeOffset? NullableTime(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
