using System.Globalization;
using System.Net.Sockets;
using System.Security.Authentication;
using BudgetRun.Ledgers.Locations;
using Npgsql;
using NpgsqlTypes;

namespace BudgetRun.Ledgers.Postgres;

/// <summary>
/// An account in PostgreSQL: the shared ledger of a fleet that runs a database already. A reservation
/// is one round trip: a batch of statements that PostgreSQL runs as one implicit transaction under
/// READ COMMITTED, whose conditional <c>UPDATE</c> of the bucket is what keeps replicas from
/// overspending (<see cref="PostgresSql"/>). Settles, kills and term changes are short explicit
/// transactions that lock the rows they read. Every write is idempotent (client-made ids, settle
/// nonces, spend operation ids), so one retry after a dropped connection never charges twice.
/// Kills are pushed with <c>LISTEN</c>/<c>NOTIFY</c>, with polling as the safety net.
/// </summary>
internal sealed class PostgresStore : ILedgerStore
{
    /// <summary>How long a reported spend's operation id is remembered: far longer than any retry of it (as Redis's).</summary>
    private const long OperationMemoryMs = 3_600_000;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _key;
    private readonly LedgerOptions _options;
    private readonly PostgresLedgerLocation _location;

    private PostgresStore(NpgsqlDataSource dataSource, PostgresLedgerLocation location, string accountKey, LedgerOptions options)
    {
        Name = location.DisplayName;
        _dataSource = dataSource;
        _location = location;
        _key = accountKey;
        _options = options;
    }

    public string Name { get; }

    /// <summary>With NOTIFY pushing every change, polling is only the safety net.</summary>
    public TimeSpan DefaultKillSwitchPollInterval => TimeSpan.FromMilliseconds(500);

    /// <summary>Connects, checks the server answers and creates or migrates the tables.</summary>
    /// <exception cref="BudgetRun.Engine.Budget.LedgerUnavailableException">
    /// The server cannot be reached, refused the password, or the database cannot be used (reported to <see cref="LedgerOptions.OnFault"/>).
    /// </exception>
    public static async ValueTask<PostgresStore> OpenAsync(PostgresLedgerLocation location, string accountKey, LedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(options);
        var sslMode = SslModeOf(location.SslMode);
        if (sslMode != SslMode.Disable && !OpenSsl.Loads())
        {
            if (sslMode is SslMode.Require or SslMode.VerifyCA or SslMode.VerifyFull)
            {
                var reason = $"sslmode={location.SslMode} needs OpenSSL and no libssl could be loaded (Debian: install libssl3)";
                throw StoreGuard.Unavailable(location.DisplayName, LedgerOperation.Open, reason, new DllNotFoundException(reason), options);
            }
            sslMode = SslMode.Disable; // allow and prefer: what a libpq built without TLS does
        }
        var timeoutSeconds = (int)Math.Max(1, Math.Ceiling(options.PostgresTimeout.TotalSeconds));
        var connection = new NpgsqlConnectionStringBuilder
        {
            Host = location.Host,
            Port = location.Port,
            Database = location.Database,
            Username = location.User,
            Password = location.Password,
            // Only read without a password; a missing file is no error (as in libpq), but Npgsql would throw.
            Passfile = location.Password is null && File.Exists(location.PassFile) ? location.PassFile : null,
            SslMode = sslMode,
            Timeout = timeoutSeconds,
            CommandTimeout = timeoutSeconds,
            CancellationTimeout = 1000,
            KeepAlive = 15,
            ApplicationName = "budget-run",
            Pooling = true,
            MaxPoolSize = 20,
            Enlist = false,
            IncludeErrorDetail = false,
        };
        // The slim builder: only what the ledger uses, so Native AOT stays free of trim warnings.
        var builder = new NpgsqlSlimDataSourceBuilder(connection.ConnectionString);
        if (sslMode != SslMode.Disable)
        {
            builder.EnableTransportSecurity();
        }
        var store = new PostgresStore(builder.Build(), location, accountKey, options);
        try
        {
            await store.RunAsync(async (open, cancellationToken) =>
            {
                await PostgresSchema.EnsureAsync(open, cancellationToken).ConfigureAwait(false);
                return true;
            }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (store.DescribeFault(ex) is { } reason)
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw StoreGuard.Unavailable(location.DisplayName, LedgerOperation.Open, reason, ex, options);
        }
        return store;
    }

    public ValueTask<(ReserveStatus Status, BucketState State)> ReserveAsync(ReserveRequest request, CancellationToken cancellationToken) =>
        RunAsync(async (connection, token) =>
        {
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    Batched(PostgresSql.Expire, Text("key", _key), Int8("now", request.NowMs)),
                    Batched(PostgresSql.Forget, Text("key", _key), Int8("forget", request.NowMs - RetentionMs)),
                    Batched(PostgresSql.EnsureBucket, Text("key", _key), Text("bucket", request.Bucket)),
                    Batched(PostgresSql.Reserve,
                        Text("key", _key), Text("bucket", request.Bucket), Int8("cents", request.Cents), Text("id", request.Id),
                        Int8("limit", request.LimitCents), Int8("now", request.NowMs), Int8("expires", request.ExpiresAtMs),
                        Text("run", request.Run.RunId), Int4("pid", request.Run.ProcessId), Text("host", request.Run.Host)),
                },
            };
            await using var reader = await batch.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (reader.FieldCount == 0 && await reader.NextResultAsync(token).ConfigureAwait(false))
            {
                // Past the statements that answer no rows.
            }
            await reader.ReadAsync(token).ConfigureAwait(false);
            var status = reader.GetInt32(0) switch
            {
                1 => ReserveStatus.Reserved,
                0 => ReserveStatus.Insufficient,
                _ => ReserveStatus.Killed,
            };
            return (status, new BucketState(reader.GetInt64(1), reader.GetInt64(2), KillSwitchFrom(reader, 3)));
        }, cancellationToken);

    public ValueTask<SettleOutcome> FinishAsync(FinishRequest request, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction, token) =>
        {
            for (var look = 1; ; look++)
            {
                string? bucket = null;
                long cents = 0;
                var state = ReservationState.Open;
                string? previousNonce = null;
                await using (var find = Command(connection, transaction, PostgresSql.FindReservation, Text("id", request.Id), Text("key", _key)))
                await using (var reader = await find.ExecuteReaderAsync(token).ConfigureAwait(false))
                {
                    if (await reader.ReadAsync(token).ConfigureAwait(false))
                    {
                        bucket = reader.GetString(0);
                        cents = reader.GetInt64(1);
                        state = (ReservationState)reader.GetInt16(2);
                        previousNonce = reader.IsDBNull(3) ? null : reader.GetString(3);
                    }
                }
                if (bucket is null)
                {
                    if (request.Kind == FinishKind.Cancel
                        && await ExecuteAsync(connection, transaction, token, PostgresSql.InsertCancelled,
                            Text("id", request.Id), Text("key", _key), Text("nonce", request.Nonce), Int8("now", request.NowMs),
                            Text("run", request.Run.RunId), Int4("pid", request.Run.ProcessId), Text("host", request.Run.Host)).ConfigureAwait(false) == 0
                        && look == 1)
                    {
                        continue; // the reservation arrived meanwhile (it holds the id): cancel it instead
                    }
                    return SettleOutcome.NotFound;
                }
                if (state is ReservationState.Settled or ReservationState.Released)
                {
                    return previousNonce == request.Nonce ? SettleOutcome.Settled : SettleOutcome.AlreadySettled;
                }
                await ExecuteAsync(connection, transaction, token, state == ReservationState.Open ? PostgresSql.FinishOpen : PostgresSql.FinishExpired,
                    Text("key", _key), Text("bucket", bucket), Int8("cents", cents), Int8("actual", request.ActualCents)).ConfigureAwait(false);
                var finished = request.Kind == FinishKind.Settle ? ReservationState.Settled : ReservationState.Released;
                await ExecuteAsync(connection, transaction, token, PostgresSql.MarkFinished,
                    Text("id", request.Id), Int2("state", (short)finished), Int8("actual", request.ActualCents),
                    Text("nonce", request.Nonce), Int8("now", request.NowMs)).ConfigureAwait(false);
                return SettleOutcome.Settled;
            }
        }, cancellationToken);

    public ValueTask<BucketState> AddSpendAsync(AddSpendRequest request, CancellationToken cancellationToken) =>
        RunAsync(async (connection, token) =>
        {
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands =
                {
                    Batched(PostgresSql.AddSpend,
                        Text("operation", request.OperationId), Text("key", _key), Int8("now", request.NowMs),
                        Text("bucket", request.Bucket), Int8("cents", request.Cents)),
                    Batched(PostgresSql.ForgetOperations, Text("key", _key), Int8("forget", request.NowMs - OperationMemoryMs)),
                    Batched(PostgresSql.ReadBucket, Text("key", _key), Text("bucket", request.Bucket)),
                },
            };
            await using var reader = await batch.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (reader.FieldCount == 0 && await reader.NextResultAsync(token).ConfigureAwait(false))
            {
                // Past the statements that answer no rows.
            }
            await reader.ReadAsync(token).ConfigureAwait(false);
            return new BucketState(reader.GetInt64(0), reader.GetInt64(1), KillSwitchFrom(reader, 2));
        }, cancellationToken);

    public ValueTask<BucketState> ReadBucketAsync(string bucket, long nowMs, CancellationToken cancellationToken) =>
        RunAsync(async (connection, token) =>
        {
            await using var command = Command(connection, null, PostgresSql.ReadBucketNow, Text("key", _key), Text("bucket", bucket), Int8("now", nowMs));
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            await reader.ReadAsync(token).ConfigureAwait(false);
            var overdue = reader.GetInt64(2);
            return new BucketState(reader.GetInt64(0) + overdue, reader.GetInt64(1) - overdue, KillSwitchFrom(reader, 3));
        }, cancellationToken);

    public ValueTask<AccountConfig> ReadConfigAsync(CancellationToken cancellationToken) =>
        RunAsync((connection, token) => ReadConfigAsync(connection, null, PostgresSql.ReadConfig, token), cancellationToken);

    public ValueTask<bool> CreateAccountAsync(AccountConfig terms, long nowMs, CancellationToken cancellationToken) =>
        RunAsync(async (connection, token) =>
            await ExecuteAsync(connection, null, token, PostgresSql.CreateAccount, TermsParameters(terms, nowMs)).ConfigureAwait(false) > 0,
            cancellationToken);

    public ValueTask<AccountConfig> SetTermsAsync(AccountConfig terms, long nowMs, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction, token) =>
        {
            var before = await ReadConfigAsync(connection, transaction, PostgresSql.ReadConfigForUpdate, token).ConfigureAwait(false);
            await ExecuteAsync(connection, transaction, token, PostgresSql.SetTerms, TermsParameters(terms, nowMs)).ConfigureAwait(false);
            return before;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<AccountEntry>> ListAccountsAsync(string prefix, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<AccountEntry>>(async (connection, token) =>
        {
            await using var command = Command(connection, null, PostgresSql.ListAccounts, Text("prefix", prefix));
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            var accounts = new List<AccountEntry>();
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                accounts.Add(new AccountEntry(reader.GetString(0), ConfigFrom(reader, 1), reader.GetBoolean(5)));
            }
            return accounts;
        }, cancellationToken);

    public ValueTask<KillSwitchState> ReadKillSwitchAsync(CancellationToken cancellationToken) =>
        RunAsync(async (connection, token) =>
        {
            await using var command = Command(connection, null, PostgresSql.ReadKillSwitch, Text("key", _key));
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            return await reader.ReadAsync(token).ConfigureAwait(false) ? KillSwitchFrom(reader, 0) : KillSwitchState.Off;
        }, cancellationToken);

    public ValueTask<bool> SetKillSwitchAsync(KillSwitchChange change, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction, token) =>
        {
            bool changed;
            if (!change.Engaged)
            {
                changed = await ExecuteAsync(connection, transaction, token, PostgresSql.Resume, Text("key", _key), Int8("now", change.NowMs)).ConfigureAwait(false) > 0;
            }
            else if (await ExecuteAsync(connection, transaction, token, PostgresSql.KillNew,
                Text("key", _key), Text("reason", change.Reason), Int8("now", change.NowMs)).ConfigureAwait(false) > 0)
            {
                changed = true;
            }
            else
            {
                await using (var lockRow = Command(connection, transaction, PostgresSql.LockKillSwitch, Text("key", _key)))
                {
                    changed = !(bool)(await lockRow.ExecuteScalarAsync(token).ConfigureAwait(false))!;
                }
                await ExecuteAsync(connection, transaction, token, PostgresSql.Kill,
                    Text("key", _key), Text("reason", change.Reason), Int8("now", change.NowMs)).ConfigureAwait(false);
            }
            // Delivered to every listener when this transaction commits, never before.
            await using (var notify = Command(connection, transaction, PostgresSql.Notify, Text("key", _key)))
            {
                await notify.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }
            return changed;
        }, cancellationToken);

    public ValueTask<ReservationInfo?> ReadReservationAsync(string id, CancellationToken cancellationToken) =>
        RunAsync(async (connection, token) =>
        {
            await using var command = Command(connection, null, PostgresSql.ReadReservation, Text("id", id), Text("key", _key));
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            return await reader.ReadAsync(token).ConfigureAwait(false)
                ? new ReservationInfo(
                    reader.GetString(0), reader.GetString(1), reader.GetInt64(2), (ReservationState)reader.GetInt16(3),
                    reader.IsDBNull(4) ? null : reader.GetInt64(4),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)),
                    new RunIdentity(reader.GetString(7), reader.GetInt32(8), reader.GetString(9)))
                : null;
        }, cancellationToken);

    public async ValueTask<IAsyncDisposable?> SubscribeKillSwitchAsync(Action poke, CancellationToken cancellationToken) =>
        await PostgresKillSwitchSubscription.StartAsync(_dataSource, _key, poke).ConfigureAwait(false);

    /// <summary>
    /// Only a request that never got a connection, or that the server answered with an error (its
    /// transaction rolled back), is sure not to have happened; a timeout or a connection lost in
    /// mid-conversation may have been committed (a cancelled statement too: the cancel can lose
    /// the race with the commit).
    /// </summary>
    public bool MayHaveLanded(Exception error) => error switch
    {
        PostgresConnectException => false,
        PostgresException { SqlState: PostgresErrorCodes.QueryCanceled } => true,
        PostgresException => false,
        _ => true,
    };

    public string? DescribeFault(Exception error) => error switch
    {
        PostgresConnectException connect => DescribeFault(connect.InnerException!) is { } reason ? reason : Scrub(connect.Message),
        PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification } =>
            string.Create(CultureInfo.InvariantCulture,
                $"the server refused the password of user '{_location.User}' (check {LedgerUriParser.PostgresPasswordVariable} or the .pgpass file)"),
        PostgresException { SqlState: PostgresErrorCodes.InvalidCatalogName } => $"the database '{_location.Database}' does not exist",
        PostgresException { SqlState: PostgresErrorCodes.QueryCanceled } => Timeout(),
        PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow } =>
            "the server is shutting down or starting up",
        PostgresException { SqlState: PostgresErrorCodes.TooManyConnections } => "the server has no free connection slot",
        PostgresException ex => $"the server answered an error: {ex.SqlState}: {Scrub(ex.MessageText)}",
        NpgsqlException ex when Find<AuthenticationException>(ex) is { } tls =>
            $"the TLS handshake failed: {Scrub(tls.Message)} (a certificate from a private CA needs SSL_CERT_FILE naming that CA's certificate)",
        NpgsqlException ex when Find<TimeoutException>(ex) is not null => Timeout(),
        NpgsqlException ex when Find<SocketException>(ex) is { SocketErrorCode: SocketError.ConnectionRefused } => "cannot connect to the server (connection refused)",
        NpgsqlException ex when Find<SocketException>(ex) is { } socket => $"cannot connect to the server: {Scrub(socket.Message)}",
        NpgsqlException ex when Find<EndOfStreamException>(ex) is not null || Find<IOException>(ex) is not null => "the connection to the server was lost",
        NpgsqlException ex when ex.Message.Contains("password", StringComparison.OrdinalIgnoreCase) =>
            $"the server asks for a password and none was given (set {LedgerUriParser.PostgresPasswordVariable} or a .pgpass file, {LedgerUriParser.PostgresPassFileVariable})",
        NpgsqlException ex => Scrub(ex.Message),
        TimeoutException => Timeout(),
        InvalidDataException ex => Scrub(ex.Message),
        IOException or UnauthorizedAccessException => $"cannot read the password file {_location.PassFile}: {Scrub(error.Message)}",
        _ => null,
    };

    public async ValueTask DisposeAsync() => await _dataSource.DisposeAsync().ConfigureAwait(false);

    private long RetentionMs => (long)_options.Retention.TotalMilliseconds;

    private string Timeout() => string.Create(CultureInfo.InvariantCulture,
        $"no answer from the server within {Math.Max(1, Math.Ceiling(_options.PostgresTimeout.TotalSeconds)):0}s");

    /// <summary>
    /// Runs one step on a connection of the pool. A deadlock, a serialisation failure or a replay that
    /// raced its original rolled back whole, so it is run again; so is a step whose pooled connection
    /// turned out dead (the server restarted: every write is idempotent, so a step that did land is
    /// answered as a replay), once, after the pool's other idle connections are dropped.
    /// </summary>
    private async ValueTask<T> RunAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> step, CancellationToken cancellationToken)
    {
        var reconnected = false;
        for (var attempt = 1; ; attempt++)
        {
            NpgsqlConnection connection;
            try
            {
                connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!reconnected && ex is NpgsqlException or SocketException or TimeoutException or IOException or UnauthorizedAccessException)
            {
                // After a lost connection the first try may have landed: then this is no "never sent".
                throw new PostgresConnectException(ex);
            }
            await using (connection.ConfigureAwait(false))
            {
                try
                {
                    return await step(connection, cancellationToken).ConfigureAwait(false);
                }
                catch (PostgresException ex) when (attempt < 3 && ex.SqlState is PostgresErrorCodes.DeadlockDetected
                    or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.UniqueViolation)
                {
                    // Rolled back: run it again.
                }
                catch (NpgsqlException ex) when (!reconnected && ex is not PostgresException && Find<TimeoutException>(ex) is null)
                {
                    reconnected = true;
                    _dataSource.Clear();
                }
            }
        }
    }

    /// <summary>Runs <paramref name="body"/> in one transaction (its <c>BEGIN</c> travels with the first statement).</summary>
    private ValueTask<T> WriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> body, CancellationToken cancellationToken) =>
        RunAsync(async (connection, token) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
            var result = await body(connection, transaction, token).ConfigureAwait(false);
            await transaction.CommitAsync(token).ConfigureAwait(false);
            return result;
        }, cancellationToken);

    private async Task<AccountConfig> ReadConfigAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken token)
    {
        await using var command = Command(connection, transaction, sql, Text("key", _key));
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        return await reader.ReadAsync(token).ConfigureAwait(false) ? ConfigFrom(reader, 0) : default;
    }

    private static AccountConfig ConfigFrom(NpgsqlDataReader reader, int at) => new(
        reader.IsDBNull(at) ? null : reader.GetInt64(at),
        reader.IsDBNull(at + 1) ? null : reader.GetInt64(at + 1),
        reader.IsDBNull(at + 2) ? null : reader.GetString(at + 2),
        reader.IsDBNull(at + 3) ? null : reader.GetString(at + 3));

    private NpgsqlParameter[] TermsParameters(AccountConfig terms, long nowMs) =>
        [Text("key", _key), Int8("limit", terms.LimitCents), Int8("window", terms.WindowSeconds ?? 0), Text("kind", terms.Calendar),
         Text("zone", terms.TimeZone), Int8("now", nowMs)];

    private static KillSwitchState KillSwitchFrom(NpgsqlDataReader reader, int at) => reader.GetBoolean(at)
        ? new KillSwitchState(true, reader.IsDBNull(at + 1) ? null : reader.GetString(at + 1),
            reader.IsDBNull(at + 2) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(at + 2)))
        : KillSwitchState.Off;

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params ReadOnlySpan<NpgsqlParameter> parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter);
        }
        return command;
    }

    private static NpgsqlBatchCommand Batched(string sql, params ReadOnlySpan<NpgsqlParameter> parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter);
        }
        return command;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken token, string sql,
        params NpgsqlParameter[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
    }

    private static NpgsqlParameter Text(string name, string? value) => new(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter Int8(string name, long? value) => new(name, NpgsqlDbType.Bigint) { Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter Int4(string name, int value) => new(name, NpgsqlDbType.Integer) { Value = value };

    private static NpgsqlParameter Int2(string name, short value) => new(name, NpgsqlDbType.Smallint) { Value = value };

    private static SslMode SslModeOf(string mode) => mode switch
    {
        "disable" => SslMode.Disable,
        "allow" => SslMode.Allow,
        "require" => SslMode.Require,
        "verify-ca" => SslMode.VerifyCA,
        "verify-full" => SslMode.VerifyFull,
        _ => SslMode.Prefer,
    };

    private static T? Find<T>(Exception error) where T : Exception
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }
        return null;
    }

    private string Scrub(string text)
    {
        var line = text.ReplaceLineEndings(" ");
        return _location.Password is { Length: > 0 } password ? line.Replace(password, "***", StringComparison.Ordinal) : line;
    }
}
