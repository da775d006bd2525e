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
    private readonly LedgerOptions _options;

    private SqliteStore(SqliteLedgerLocation location, string accountKey, LedgerOptions options)
    {
        Name = location.DisplayName;
        Path = location.Path;
        _key = accountKey;
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

    public ValueTask<(ReserveStatus Status, BucketState State)> ReserveAsync(ReserveRequest request, CancellationToken cancellationToken) =>
        WriteAsync(connection =>
        {
            var killSwitch = ReadKillSwitch(connection);
            if (killSwitch.Engaged)
            {
                return (ReserveStatus.Killed, ReadBucket(connection, request.Bucket, killSwitch));
            }
            if (Scalar(connection, SqliteSql.ReservationExists, ("$id", request.Id)) is not null)
            {
                return (ReserveStatus.Reserved, ReadBucket(connection, request.Bucket, killSwitch)); // a replay
            }
            Execute(connection, SqliteSql.Expire,
                ("$key", _key), ("$now", request.NowMs), ("$forget", request.NowMs - (long)_options.Retention.TotalMilliseconds));
            var limit = Scalar(connection, SqliteSql.ReadLimit, ("$key", _key)) is long stored ? stored : request.LimitCents;
            var state = ReadBucket(connection, request.Bucket, killSwitch);
            if (state.SpentCents + state.ReservedCents + request.Cents > limit)
            {
                return (ReserveStatus.Insufficient, state);
            }
            Execute(connection, SqliteSql.InsertReservation,
                ("$key", _key), ("$bucket", request.Bucket), ("$cents", request.Cents), ("$id", request.Id),
                ("$now", request.NowMs), ("$expires", request.ExpiresAtMs), ("$run", request.Run.RunId),
                ("$pid", request.Run.ProcessId), ("$host", request.Run.Host));
            return (ReserveStatus.Reserved, state with { ReservedCents = state.ReservedCents + request.Cents });
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
            Execute(connection, state == ReservationState.Open ? SqliteSql.FinishOpen : SqliteSql.FinishExpired,
                ("$key", _key), ("$bucket", bucket), ("$cents", cents), ("$actual", request.ActualCents));
            Execute(connection, SqliteSql.MarkFinished,
                ("$id", id), ("$state", (int)(request.Kind == FinishKind.Settle ? ReservationState.Settled : ReservationState.Released)),
                ("$actual", request.ActualCents), ("$nonce", request.Nonce), ("$now", request.NowMs));
            return SettleOutcome.Settled;
        }, cancellationToken);

    public ValueTask<BucketState> AddSpendAsync(AddSpendRequest request, CancellationToken cancellationToken) =>
        WriteAsync(connection =>
        {
            // One local transaction: it commits or it does not, so the operation id has nothing to make idempotent.
            Execute(connection, SqliteSql.AddSpend, ("$key", _key), ("$bucket", request.Bucket), ("$cents", request.Cents));
            return ReadBucket(connection, request.Bucket, ReadKillSwitch(connection));
        }, cancellationToken);

    public ValueTask<BucketState> ReadBucketAsync(string bucket, long nowMs, CancellationToken cancellationToken)
    {
        using var connection = Connect();
        using var command = Command(connection, SqliteSql.ReadBucketNow, ("$key", _key), ("$bucket", bucket), ("$now", nowMs));
        using var reader = command.ExecuteReader();
        reader.Read();
        var overdue = reader.GetInt64(2);
        var killSwitch = new KillSwitchState(reader.GetInt64(3) != 0, NullableString(reader, 4), NullableTime(reader, 5));
        return ValueTask.FromResult(new BucketState(reader.GetInt64(0) + overdue, reader.GetInt64(1) - overdue, killSwitch));
    }

    public ValueTask<AccountConfig> ReadConfigAsync(CancellationToken cancellationToken)
    {
        using var connection = Connect();
        return ValueTask.FromResult(ReadConfig(connection));
    }

    public ValueTask<bool> CreateAccountAsync(AccountConfig terms, long nowMs, CancellationToken cancellationToken) =>
        WriteAsync(connection =>
        {
            Execute(connection, SqliteSql.CreateAccount, TermsParameters(terms, nowMs));
            return Convert.ToInt64(Scalar(connection, "SELECT changes();"), CultureInfo.InvariantCulture) > 0;
        }, cancellationToken);

    public ValueTask<AccountConfig> SetTermsAsync(AccountConfig terms, long nowMs, CancellationToken cancellationToken) =>
        WriteAsync(connection =>
        {
            var before = ReadConfig(connection);
            Execute(connection, SqliteSql.SetTerms, TermsParameters(terms, nowMs));
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
            accounts.Add(new AccountEntry(reader.GetString(0), ConfigFrom(reader, 1), reader.GetInt64(5) != 0));
        }
        return ValueTask.FromResult<IReadOnlyList<AccountEntry>>(accounts);
    }

    public ValueTask<KillSwitchState> ReadKillSwitchAsync(CancellationToken cancellationToken)
    {
        using var connection = Connect();
        return ValueTask.FromResult(ReadKillSwitch(connection));
    }

    public ValueTask<bool> SetKillSwitchAsync(KillSwitchChange change, CancellationToken cancellationToken) =>
        WriteAsync(connection =>
        {
            var was = ReadKillSwitch(connection).Engaged;
            Execute(connection, change.Engaged ? SqliteSql.Kill : SqliteSql.Resume,
                ("$key", _key), ("$reason", change.Reason), ("$now", change.NowMs));
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

    private AccountConfig ReadConfig(SqliteConnection connection)
    {
        using var command = Command(connection, SqliteSql.ReadConfig, ("$key", _key));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ConfigFrom(reader, 0) : default;
    }

    private static AccountConfig ConfigFrom(SqliteDataReader reader, int at) => new(
        reader.IsDBNull(at) ? null : reader.GetInt64(at),
        reader.IsDBNull(at + 1) ? null : reader.GetInt64(at + 1),
        NullableString(reader, at + 2),
        NullableString(reader, at + 3));

    private (string Name, object? Value)[] TermsParameters(AccountConfig terms, long nowMs) =>
        [("$key", _key), ("$limit", terms.LimitCents), ("$window", terms.WindowSeconds ?? 0), ("$kind", terms.Calendar), ("$zone", terms.TimeZone), ("$now", nowMs)];

    private KillSwitchState ReadKillSwitch(SqliteConnection connection)
    {
        using var command = Command(connection, SqliteSql.ReadKillSwitch, ("$key", _key));
        using var reader = command.ExecuteReader();
        return reader.Read() && reader.GetInt64(0) != 0
            ? new KillSwitchState(true, NullableString(reader, 1), NullableTime(reader, 2))
            : KillSwitchState.Off;
    }

    private BucketState ReadBucket(SqliteConnection connection, string bucket, KillSwitchState killSwitch)
    {
        using var command = Command(connection, SqliteSql.ReadBucket, ("$key", _key), ("$bucket", bucket));
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
