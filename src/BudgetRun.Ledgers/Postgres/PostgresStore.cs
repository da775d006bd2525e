using System.Data;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Authentication;
using BudgetRun.Ledgers.Locations;
using Npgsql;
using NpgsqlTypes;

namespace BudgetRun.Ledgers.Postgres;

/// <summary>
/// An account in PostgreSQL: the shared ledger of a fleet that runs a database already. Every write is
/// one transaction under READ COMMITTED that first takes the advisory lock of the account's tree (its
/// root's key, <see cref="PostgresSql.LockTree"/>), so the writes of one tree run one at a time and a
/// reservation checks and holds on every level of a hierarchical key as SQLite's does; reads of several
/// levels are one REPEATABLE READ snapshot. Every write is idempotent (client-made ids, settle nonces,
/// spend operation ids), so one retry after a dropped connection never charges twice. Kills are
/// pushed with <c>LISTEN</c>/<c>NOTIFY</c>, with polling as the safety net.
/// </summary>
internal sealed class PostgresStore : ILedgerStore
{
    /// <summary>How long a reported spend's operation id is remembered: far longer than any retry of it (as Redis's).</summary>
    private const long OperationMemoryMs = 3_600_000;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _key;
    private readonly IReadOnlyList<string> _levels;
    private readonly LedgerOptions _options;
    private readonly PostgresLedgerLocation _location;

    private PostgresStore(NpgsqlDataSource dataSource, PostgresLedgerLocation location, string accountKey, LedgerOptions options)
    {
        Name = location.DisplayName;
        _dataSource = dataSource;
        _location = location;
        _key = accountKey;
        _levels = AccountPath.Levels(accountKey);
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

    /// <remarks>
    /// Five round trips whatever the depth of the key: the tree's lock; one batch reading every level,
    /// the replay check and the server's clock; one batch of every level's overdue reservations and
    /// buckets (expiry, when something is overdue, takes more); one batch of every write; the commit.
    /// </remarks>
    public ValueTask<ReserveAnswer> ReserveAsync(ReserveRequest request, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction, token) =>
        {
            var levels = request.Levels;
            var stored = new LevelRow[levels.Count];
            bool replay;
            long now; // the server's clock decides the window and the expiry, whatever the client's says
            await using (var read = Batch(connection, transaction,
                [.. levels.Select(level => Statement(PostgresSql.ReadLevel, Text("key", level.Key))),
                 Statement(PostgresSql.ReservationExistsAndNow, Text("id", request.Id))]))
            await using (var reader = await read.ExecuteReaderAsync(token).ConfigureAwait(false))
            {
                for (var i = 0; i < levels.Count; i++)
                {
                    stored[i] = await LevelFromAsync(reader, levels[i].Key, token).ConfigureAwait(false);
                    await reader.NextResultAsync(token).ConfigureAwait(false);
                }
                await reader.ReadAsync(token).ConfigureAwait(false);
                (replay, now) = (reader.GetBoolean(0), reader.GetInt64(1));
            }
            if (_options.ClientClock)
            {
                now = request.NowMs; // a test moving time
            }
            for (var i = 0; i < levels.Count; i++)
            {
                if (stored[i].KillSwitch.Engaged)
                {
                    return new ReserveAnswer(ReserveStatus.Killed, await ReadLevelsAsync(connection, transaction, levels, stored, token).ConfigureAwait(false), i, now);
                }
            }
            if (replay)
            {
                return new ReserveAnswer(ReserveStatus.Reserved, await ReadLevelsAsync(connection, transaction, levels, stored, token).ConfigureAwait(false), -1, now);
            }
            for (var i = 0; i < levels.Count; i++)
            {
                var leafWithoutTerms = i == levels.Count - 1 && stored[i].Limit is null;
                if (!leafWithoutTerms && stored[i].Version != levels[i].Version)
                {
                    return new ReserveAnswer(ReserveStatus.Stale, [], -1, now);
                }
            }
            if (levels.Any(level => !level.Contains(now)))
            {
                return new ReserveAnswer(ReserveStatus.OutsideWindow, [], -1, now);
            }
            var (states, overdue) = await ReadBucketsAndOverdueAsync(connection, transaction, levels, stored, now, token).ConfigureAwait(false);
            if (overdue)
            {
                foreach (var level in levels)
                {
                    await ExpireAsync(connection, transaction, level.Key, now, token).ConfigureAwait(false);
                }
                states = await ReadLevelsAsync(connection, transaction, levels, stored, token).ConfigureAwait(false);
            }
            var decider = -1;
            var tightest = long.MaxValue;
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
                return new ReserveAnswer(ReserveStatus.Insufficient, states, decider, now);
            }
            var forget = now - RetentionMs;
            var writes = new List<NpgsqlBatchCommand>
            {
                Statement(PostgresSql.InsertReservation,
                    Text("id", request.Id), Text("key", _key), Text("bucket", request.Leaf.Bucket ?? ""), Int8("cents", request.Cents),
                    Int8("now", now), Int8("expires", now + request.TtlMs), Text("run", request.Run.RunId),
                    Int4("pid", request.Run.ProcessId), Text("host", request.Run.Host)),
            };
            for (var i = 0; i < levels.Count; i++)
            {
                if (levels[i].Bucket is { } bucket)
                {
                    writes.Add(Statement(PostgresSql.HoldOnLevel, Text("key", levels[i].Key), Text("bucket", bucket), Int8("cents", request.Cents)));
                    writes.Add(Statement(PostgresSql.InsertLevel, Text("id", request.Id), Text("key", levels[i].Key), Text("bucket", bucket)));
                    writes.Add(HistoryStatement(now, levels[i].Key, HistoryKind.Reserve, bucket, 0, request.Cents, request.Id, _key, request.Run, null));
                    states[i] = states[i] with { ReservedCents = states[i].ReservedCents + request.Cents };
                }
            }
            writes.Add(TrimHistoryStatement(now));
            writes.Add(Statement(PostgresSql.ForgetLevels, Text("key", _key), Int8("forget", forget)));
            writes.Add(Statement(PostgresSql.Forget, Text("key", _key), Int8("forget", forget)));
            await using (var write = Batch(connection, transaction, writes))
            {
                await write.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }
            return new ReserveAnswer(ReserveStatus.Reserved, states, -1, now);
        }, cancellationToken);

    /// <summary>
    /// Every level's bucket and whether any level has a reservation overdue at <paramref name="nowMs"/>,
    /// in one round trip; the buckets are only right when none is (expire, then read them again).
    /// </summary>
    private static async Task<(BucketState[] States, bool Overdue)> ReadBucketsAndOverdueAsync(NpgsqlConnection connection,
        NpgsqlTransaction transaction, IReadOnlyList<LevelBucket> levels, LevelRow[] stored, long nowMs, CancellationToken token)
    {
        var statements = levels.Select(level => Statement(PostgresSql.OverdueExists, Text("key", level.Key), Int8("now", nowMs))).ToList();
        statements.AddRange(levels.Where(level => level.Bucket is not null)
            .Select(level => Statement(PostgresSql.ReadBucket, Text("key", level.Key), Text("bucket", level.Bucket))));
        await using var batch = Batch(connection, transaction, statements);
        await using var reader = await batch.ExecuteReaderAsync(token).ConfigureAwait(false);
        var overdue = false;
        for (var i = 0; i < levels.Count; i++)
        {
            if (i > 0)
            {
                await reader.NextResultAsync(token).ConfigureAwait(false);
            }
            await reader.ReadAsync(token).ConfigureAwait(false);
            overdue |= reader.GetBoolean(0);
        }
        var states = new BucketState[levels.Count];
        for (var i = 0; i < states.Length; i++)
        {
            if (levels[i].Bucket is null)
            {
                states[i] = new BucketState(0, 0, stored[i].KillSwitch);
                continue;
            }
            await reader.NextResultAsync(token).ConfigureAwait(false);
            states[i] = await reader.ReadAsync(token).ConfigureAwait(false)
                ? new BucketState(reader.GetInt64(0), reader.GetInt64(1), stored[i].KillSwitch)
                : new BucketState(0, 0, stored[i].KillSwitch);
        }
        return (states, overdue);
    }

    public async ValueTask<long?> ReadClockAsync(CancellationToken cancellationToken) =>
        await RunAsync(async (connection, token) =>
        {
            await using var command = new NpgsqlCommand(PostgresSql.Now, connection);
            return (long)(await command.ExecuteScalarAsync(token).ConfigureAwait(false))!;
        }, cancellationToken).ConfigureAwait(false);

    public ValueTask<SettleOutcome> FinishAsync(FinishRequest request, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction, token) =>
        {
            var id = request.Id;
            string? bucket = null;
            long cents = 0;
            var state = ReservationState.Open;
            string? previousNonce = null;
            await using (var find = Command(connection, transaction, PostgresSql.FindReservation, Text("id", id), Text("key", _key)))
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
                if (request.Kind == FinishKind.Cancel)
                {
                    await ExecuteAsync(connection, transaction, token, PostgresSql.InsertCancelled,
                        Text("id", id), Text("key", _key), Text("nonce", request.Nonce), Int8("now", request.NowMs),
                        Text("run", request.Run.RunId), Int4("pid", request.Run.ProcessId), Text("host", request.Run.Host)).ConfigureAwait(false);
                }
                return SettleOutcome.NotFound;
            }
            if (state is ReservationState.Settled or ReservationState.Released)
            {
                return previousNonce == request.Nonce ? SettleOutcome.Settled : SettleOutcome.AlreadySettled;
            }
            var open = state == ReservationState.Open;
            var kind = request.Kind == FinishKind.Settle ? HistoryKind.Settle : HistoryKind.Release;
            foreach (var (level, levelBucket) in await LevelsOfAsync(connection, transaction, id, token).ConfigureAwait(false))
            {
                await ExecuteAsync(connection, transaction, token, open ? PostgresSql.FinishOpen : PostgresSql.FinishExpired,
                    Text("key", level), Text("bucket", levelBucket), Int8("cents", cents), Int8("actual", request.ActualCents)).ConfigureAwait(false);
                await RecordAsync(connection, transaction, token, request.NowMs, level, kind, levelBucket,
                    open ? request.ActualCents : request.ActualCents - cents, open ? -cents : 0, id, _key, request.Run, null).ConfigureAwait(false);
            }
            var finished = request.Kind == FinishKind.Settle ? ReservationState.Settled : ReservationState.Released;
            await ExecuteAsync(connection, transaction, token, PostgresSql.MarkFinished,
                Text("id", id), Int2("state", (short)finished), Int8("actual", request.ActualCents),
                Text("nonce", request.Nonce), Int8("now", request.NowMs)).ConfigureAwait(false);
            await ExecuteAsync(connection, transaction, token, PostgresSql.DropLevels, Text("id", id)).ConfigureAwait(false);
            return SettleOutcome.Settled;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<BucketState>> AddSpendAsync(AddSpendRequest request, CancellationToken cancellationToken) =>
        WriteAsync<IReadOnlyList<BucketState>>(async (connection, transaction, token) =>
        {
            // Once per operation id: a retry after a lost answer finds the id and adds nothing again.
            var first = await ExecuteAsync(connection, transaction, token, PostgresSql.RememberOperation,
                Text("operation", request.OperationId), Text("key", _key), Int8("now", request.NowMs)).ConfigureAwait(false) > 0;
            await ExecuteAsync(connection, transaction, token, PostgresSql.ForgetOperations,
                Text("key", _key), Int8("forget", request.NowMs - OperationMemoryMs)).ConfigureAwait(false);
            var states = new BucketState[request.Levels.Count];
            for (var i = 0; i < states.Length; i++)
            {
                var level = request.Levels[i];
                var killSwitch = (await ReadLevelAsync(connection, transaction, level.Key, token).ConfigureAwait(false)).KillSwitch;
                if (level.Bucket is { } bucket)
                {
                    if (first)
                    {
                        await ExecuteAsync(connection, transaction, token, PostgresSql.AddSpend,
                            Text("key", level.Key), Text("bucket", bucket), Int8("cents", request.Cents)).ConfigureAwait(false);
                        await RecordAsync(connection, transaction, token, request.NowMs, level.Key, HistoryKind.Spend, bucket, request.Cents, 0,
                            null, _key, request.Run, null).ConfigureAwait(false);
                    }
                    states[i] = await ReadBucketAsync(connection, transaction, level.Key, bucket, killSwitch, token).ConfigureAwait(false);
                }
                else
                {
                    states[i] = new BucketState(0, 0, killSwitch);
                }
            }
            return states;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<BucketState>> ReadBucketsAsync(IReadOnlyList<LevelBucket> levels, long nowMs, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<BucketState>>(async (connection, transaction, token) =>
        {
            var states = new BucketState[levels.Count];
            for (var i = 0; i < states.Length; i++)
            {
                var killSwitch = (await ReadLevelAsync(connection, transaction, levels[i].Key, token).ConfigureAwait(false)).KillSwitch;
                if (levels[i].Bucket is not { } bucket)
                {
                    states[i] = new BucketState(0, 0, killSwitch);
                    continue;
                }
                await using var command = Command(connection, transaction, PostgresSql.ReadBucketNow,
                    Text("key", levels[i].Key), Text("bucket", bucket), Int8("now", nowMs));
                await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
                await reader.ReadAsync(token).ConfigureAwait(false);
                var overdue = reader.GetInt64(2);
                states[i] = new BucketState(reader.GetInt64(0) + overdue, reader.GetInt64(1) - overdue, killSwitch);
            }
            return states;
        }, cancellationToken);

    public ValueTask<IReadOnlyList<AccountConfig>> ReadTermsAsync(CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<AccountConfig>>(async (connection, transaction, token) =>
        {
            var terms = new AccountConfig[_levels.Count];
            for (var i = 0; i < terms.Length; i++)
            {
                terms[i] = await ReadConfigAsync(connection, transaction, _levels[i], token).ConfigureAwait(false);
            }
            return terms;
        }, cancellationToken);

    public ValueTask<bool> CreateAccountAsync(AccountConfig terms, long nowMs, RunIdentity actor, CancellationToken cancellationToken) =>
        RunAsync(async (connection, token) =>
            await ExecuteAsync(connection, null, token, PostgresSql.CreateAccount,
                [.. TermsParameters(terms, nowMs), Int2("entry", (short)HistoryKind.Terms), Text("run", actor.RunId), Text("host", actor.Host),
                 Int4("pid", actor.ProcessId), Text("user", actor.User.Length == 0 ? null : actor.User), Text("detail", "created: " + terms.Describe())])
                .ConfigureAwait(false) > 0,
            cancellationToken);

    public ValueTask<AccountConfig> SetTermsAsync(AccountConfig terms, long nowMs, RunIdentity actor, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction, token) =>
        {
            var before = await ReadConfigAsync(connection, transaction, _key, token).ConfigureAwait(false);
            await ExecuteAsync(connection, transaction, token, PostgresSql.SetTerms, TermsParameters(terms, nowMs)).ConfigureAwait(false);
            await RecordAsync(connection, transaction, token, nowMs, _key, HistoryKind.Terms, null, 0, 0, null, _key, actor,
                terms.Describe() + (before.HasTerms ? $" (was {before.Describe()})" : " (new account)")).ConfigureAwait(false);
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
                accounts.Add(new AccountEntry(reader.GetString(0), ConfigFrom(reader, 1), reader.GetBoolean(6)));
            }
            return accounts;
        }, cancellationToken);

    public ValueTask<KillSwitchState> ReadKillSwitchAsync(CancellationToken cancellationToken) =>
        ReadAsync(async (connection, transaction, token) =>
        {
            foreach (var level in _levels)
            {
                if ((await ReadLevelAsync(connection, transaction, level, token).ConfigureAwait(false)).KillSwitch is { Engaged: true } engaged)
                {
                    return engaged;
                }
            }
            return KillSwitchState.Off;
        }, cancellationToken);

    public ValueTask<bool> SetKillSwitchAsync(KillSwitchChange change, CancellationToken cancellationToken) =>
        WriteAsync(async (connection, transaction, token) =>
        {
            var was = (await ReadLevelAsync(connection, transaction, _key, token).ConfigureAwait(false)).KillSwitch.Engaged;
            await ExecuteAsync(connection, transaction, token, change.Engaged ? PostgresSql.Kill : PostgresSql.Resume,
                Text("key", _key), Text("reason", change.Reason), Int8("now", change.NowMs)).ConfigureAwait(false);
            if (change.Engaged || was)
            {
                await RecordAsync(connection, transaction, token, change.NowMs, _key, change.Engaged ? HistoryKind.Kill : HistoryKind.Resume,
                    null, 0, 0, null, _key, change.Actor, change.Reason).ConfigureAwait(false);
            }
            // Delivered to every listener when this transaction commits, never before.
            await ExecuteAsync(connection, transaction, token, PostgresSql.Notify, Text("key", _key)).ConfigureAwait(false);
            return was != change.Engaged;
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

    public ValueTask<IReadOnlyList<HistoryEntry>> ReadHistoryAsync(long sinceMs, long untilMs, string? after, int limit, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<HistoryEntry>>(async (connection, token) =>
        {
            var afterSeq = after is null ? 0 : long.Parse(after, NumberStyles.None, CultureInfo.InvariantCulture);
            await using var command = Command(connection, null, PostgresSql.ReadHistory,
                Text("key", _key), Int8("since", sinceMs), Int8("until", untilMs), Int8("after", afterSeq), Int8("limit", limit));
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            var entries = new List<HistoryEntry>();
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                entries.Add(new HistoryEntry(
                    reader.GetInt64(0).ToString(CultureInfo.InvariantCulture), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
                    reader.GetString(2), (HistoryKind)reader.GetInt16(3), NullableString(reader, 4), reader.GetInt64(5), reader.GetInt64(6),
                    NullableString(reader, 7), NullableString(reader, 8), NullableString(reader, 9), NullableString(reader, 10),
                    reader.IsDBNull(11) ? null : reader.GetInt32(11), NullableString(reader, 12), NullableString(reader, 13)));
            }
            return entries;
        }, cancellationToken);

    public async ValueTask<IAsyncDisposable?> SubscribeKillSwitchAsync(Action poke, CancellationToken cancellationToken) =>
        await PostgresKillSwitchSubscription.StartAsync(_dataSource, _levels, poke).ConfigureAwait(false);

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

    /// <summary>
    /// Runs <paramref name="body"/> in one transaction (its <c>BEGIN</c> travels with the first
    /// statement) that first takes the advisory lock of the account's tree: the writes of one tree
    /// run one at a time, so several statements act on what they read, and one lock cannot deadlock.
    /// </summary>
    private ValueTask<T> WriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> body, CancellationToken cancellationToken) =>
        RunAsync(async (connection, token) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
            await ExecuteAsync(connection, transaction, token, PostgresSql.LockTree,
                Int4("class", PostgresSql.TreeLockClass), Text("root", AccountPath.Root(_key))).ConfigureAwait(false);
            var result = await body(connection, transaction, token).ConfigureAwait(false);
            await transaction.CommitAsync(token).ConfigureAwait(false);
            return result;
        }, cancellationToken);

    /// <summary>Runs <paramref name="body"/> in one REPEATABLE READ transaction: every level as of one moment.</summary>
    private ValueTask<T> ReadAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> body, CancellationToken cancellationToken) =>
        RunAsync(async (connection, token) =>
        {
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, token).ConfigureAwait(false);
            var result = await body(connection, transaction, token).ConfigureAwait(false);
            await transaction.CommitAsync(token).ConfigureAwait(false);
            return result;
        }, cancellationToken);

    /// <summary>One level as stored: its limit and terms version, and its own kill switch.</summary>
    private readonly record struct LevelRow(long? Limit, long Version, KillSwitchState KillSwitch);

    private static async Task<LevelRow> ReadLevelAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string key, CancellationToken token)
    {
        await using var command = Command(connection, transaction, PostgresSql.ReadLevel, Text("key", key));
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        return await LevelFromAsync(reader, key, token).ConfigureAwait(false);
    }

    /// <summary>The level in the reader's current result (<see cref="PostgresSql.ReadLevel"/>'s row, or none).</summary>
    private static async Task<LevelRow> LevelFromAsync(NpgsqlDataReader reader, string key, CancellationToken token)
    {
        if (!await reader.ReadAsync(token).ConfigureAwait(false))
        {
            return default;
        }
        var killSwitch = reader.GetBoolean(2)
            ? new KillSwitchState(true, NullableString(reader, 3), reader.IsDBNull(4) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)), key)
            : KillSwitchState.Off;
        return new LevelRow(reader.IsDBNull(0) ? null : reader.GetInt64(0), reader.GetInt64(1), killSwitch);
    }

    /// <summary>The levels' buckets inside a write (no overdue reservation left: they were just expired).</summary>
    private static async Task<BucketState[]> ReadLevelsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        IReadOnlyList<LevelBucket> levels, LevelRow[] stored, CancellationToken token)
    {
        var states = new BucketState[levels.Count];
        for (var i = 0; i < states.Length; i++)
        {
            states[i] = levels[i].Bucket is { } bucket
                ? await ReadBucketAsync(connection, transaction, levels[i].Key, bucket, stored[i].KillSwitch, token).ConfigureAwait(false)
                : new BucketState(0, 0, stored[i].KillSwitch);
        }
        return states;
    }

    private static async Task<BucketState> ReadBucketAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string key, string bucket,
        KillSwitchState killSwitch, CancellationToken token)
    {
        await using var command = Command(connection, transaction, PostgresSql.ReadBucket, Text("key", key), Text("bucket", bucket));
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        return await reader.ReadAsync(token).ConfigureAwait(false)
            ? new BucketState(reader.GetInt64(0), reader.GetInt64(1), killSwitch)
            : new BucketState(0, 0, killSwitch);
    }

    /// <summary>Every reservation holding cents on the level that is overdue becomes spent in full, on each level it holds cents on.</summary>
    private async Task ExpireAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string key, long nowMs, CancellationToken token)
    {
        var overdue = new List<(string Id, long Cents, string Account, RunIdentity Run)>();
        await using (var command = Command(connection, transaction, PostgresSql.OverdueOnLevel, Text("key", key), Int8("now", nowMs)))
        await using (var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                overdue.Add((reader.GetString(0), reader.GetInt64(1), reader.GetString(2),
                    new RunIdentity(reader.GetString(3), reader.GetInt32(5), reader.GetString(4))));
            }
        }
        foreach (var (id, cents, account, run) in overdue)
        {
            foreach (var (level, bucket) in await LevelsOfAsync(connection, transaction, id, token).ConfigureAwait(false))
            {
                await ExecuteAsync(connection, transaction, token, PostgresSql.ExpireOnLevel,
                    Text("key", level), Text("bucket", bucket), Int8("cents", cents)).ConfigureAwait(false);
                await RecordAsync(connection, transaction, token, nowMs, level, HistoryKind.Expire, bucket, cents, -cents, id, account, run, null).ConfigureAwait(false);
            }
            await ExecuteAsync(connection, transaction, token, PostgresSql.MarkExpired, Text("id", id)).ConfigureAwait(false);
        }
    }

    private static async Task<List<(string Level, string Bucket)>> LevelsOfAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string id,
        CancellationToken token)
    {
        await using var command = Command(connection, transaction, PostgresSql.LevelsOf, Text("id", id));
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        var levels = new List<(string, string)>();
        while (await reader.ReadAsync(token).ConfigureAwait(false))
        {
            levels.Add((reader.GetString(0), reader.GetString(1)));
        }
        return levels;
    }

    /// <summary>One history entry, in the transaction of the change it records; then a bounded batch of entries past the retention goes.</summary>
    private async Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken token, long nowMs, string key,
        HistoryKind kind, string? bucket, long spent, long reserved, string? reservation, string origin, RunIdentity run, string? detail)
    {
        await using var batch = Batch(connection, transaction,
            [HistoryStatement(nowMs, key, kind, bucket, spent, reserved, reservation, origin, run, detail), TrimHistoryStatement(nowMs)]);
        await batch.ExecuteNonQueryAsync(token).ConfigureAwait(false);
    }

    private static NpgsqlBatchCommand HistoryStatement(long nowMs, string key, HistoryKind kind, string? bucket, long spent, long reserved,
        string? reservation, string origin, RunIdentity run, string? detail) =>
        Statement(PostgresSql.InsertHistory,
            Int8("at", nowMs), Text("key", key), Int2("kind", (short)kind), Text("bucket", bucket), Int8("spent", spent), Int8("reserved", reserved),
            Text("reservation", reservation), Text("origin", origin == key ? null : origin), Text("run", run.RunId), Text("host", run.Host),
            Int4("pid", run.ProcessId), Text("user", run.User.Length == 0 ? null : run.User), Text("detail", detail));

    private NpgsqlBatchCommand TrimHistoryStatement(long nowMs) =>
        Statement(PostgresSql.TrimHistory, Int8("cutoff", nowMs - (long)_options.HistoryRetention.TotalMilliseconds));

    private static async Task<AccountConfig> ReadConfigAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string key, CancellationToken token)
    {
        await using var command = Command(connection, transaction, PostgresSql.ReadConfig, Text("key", key));
        await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        return await reader.ReadAsync(token).ConfigureAwait(false) ? ConfigFrom(reader, 0) : default;
    }

    private static AccountConfig ConfigFrom(NpgsqlDataReader reader, int at) => new(
        reader.IsDBNull(at) ? null : reader.GetInt64(at),
        reader.IsDBNull(at + 1) ? null : reader.GetInt64(at + 1),
        NullableString(reader, at + 2),
        NullableString(reader, at + 3),
        reader.GetInt64(at + 4));

    private NpgsqlParameter[] TermsParameters(AccountConfig terms, long nowMs) =>
        [Text("key", _key), Int8("limit", terms.LimitCents), Int8("window", terms.WindowSeconds ?? 0), Text("kind", terms.Calendar),
         Text("zone", terms.TimeZone), Int8("now", nowMs)];

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params ReadOnlySpan<NpgsqlParameter> parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter);
        }
        return command;
    }

    private static NpgsqlBatchCommand Statement(string sql, params ReadOnlySpan<NpgsqlParameter> parameters)
    {
        var statement = new NpgsqlBatchCommand(sql);
        foreach (var parameter in parameters)
        {
            statement.Parameters.Add(parameter);
        }
        return statement;
    }

    /// <summary>Statements sent in one round trip, run in order; the first error fails the rest (and the transaction).</summary>
    private static NpgsqlBatch Batch(NpgsqlConnection connection, NpgsqlTransaction transaction, IEnumerable<NpgsqlBatchCommand> statements)
    {
        var batch = new NpgsqlBatch(connection, transaction);
        foreach (var statement in statements)
        {
            batch.BatchCommands.Add(statement);
        }
        return batch;
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
