using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using BudgetRun.Ledgers.Locations;
using StackExchange.Redis;

namespace BudgetRun.Ledgers.Redis;

/// <summary>
/// An account in Redis: the shared ledger of a fleet. Each reservation, settle and expiry is one Lua
/// script (<see cref="RedisScripts"/>), atomic across replicas. Commands fail fast while disconnected
/// (no queueing behind the caller's back), so an unreachable server fails closed at once, and the
/// connection is re-established in the background. Every write is idempotent (client-made ids,
/// settle nonces, spend operation ids), so a retry after a lost answer never charges twice. Behind
/// Sentinel the client follows the primary the sentinels name, and a write counts as done only once
/// a replica has it (<see cref="ReplicaAcknowledgement"/>).
/// </summary>
internal sealed class RedisStore : ILedgerStore
{
    /// <summary>How long a reported spend's operation id is remembered: far longer than any retry of it.</summary>
    private const long OperationMemoryMs = 3_600_000;

    private const string NoOpenSsl = "TLS (rediss://) needs OpenSSL and no libssl could be loaded (Debian: install libssl3)";

    /// <summary>The sonames .NET probes for OpenSSL, newest first.</summary>
    private static readonly string[] _openSslNames = ["libssl.so.3", "libssl.so.1.1", "libssl.so.1.0.2", "libssl.so.1.0.0", "libssl.so.10", "libssl.so"];

    /// <summary>How many reservations' keys are kept for their settle: past that, a settle reads them first.</summary>
    private const int HeldMemory = 10_000;

    private const string PasswordRefused = $"the server refused the password (check {LedgerUriParser.PasswordVariable})";

    private readonly LedgerOptions _options;
    private readonly ConnectionMultiplexer _connection;
    private readonly IDatabase _database;
    private readonly string? _password;
    private readonly string _prefix;
    private readonly RedisKey _accountKey;
    private readonly RedisKey _openKey;
    private readonly string _channelName;
    private readonly IReadOnlyList<string> _levels;
    private readonly ReplicaAcknowledgement? _acknowledgement;
    private readonly string _cannotConnect;

    /// <summary>The keys each reservation made here holds, so that its settle declares them without reading them first.</summary>
    private readonly ConcurrentDictionary<string, RedisKey[]> _held = new(StringComparer.Ordinal);

    /// <summary>The scripts as <see cref="LedgerOptions.RewriteScript"/> made them (tests only).</summary>
    private readonly ConcurrentDictionary<string, string> _rewritten = new(StringComparer.Ordinal);

    private RedisStore(ConnectionMultiplexer connection, RedisLedgerLocation location, string accountKey, LedgerOptions options)
    {
        Name = location.DisplayName;
        _options = options;
        _connection = connection;
        _database = connection.GetDatabase(location.Database);
        _password = location.Password;
        _prefix = PrefixOf(accountKey);
        _accountKey = _prefix + ":acct";
        _openKey = _prefix + ":open";
        _channelName = _prefix + ":kill";
        _levels = AccountPath.Levels(accountKey);
        _acknowledgement = location.UsesSentinel ? new ReplicaAcknowledgement(options.RedisTimeout) : null;
        _cannotConnect = CannotConnect(location);
    }

    /// <summary>Behind Sentinel the server is whichever primary the sentinels name: the message says so.</summary>
    private static string CannotConnect(RedisLedgerLocation location) => location.UsesSentinel
        ? $"cannot reach a primary of the service '{location.ServiceName}' through the sentinels"
        : "cannot connect to the server";

    /// <summary>A level's prefix: every key of a tree shares the hash tag of its root (one slot, one script).</summary>
    internal static string PrefixOf(string level)
    {
        var root = AccountPath.Root(level);
        return $"budget-run:{{{root}}}{level[root.Length..]}";
    }

    /// <summary>Where the previous releases kept an account: the whole key was the hash tag.</summary>
    private static string LegacyPrefixOf(string level) => $"budget-run:{{{level}}}";

    public string Name { get; }

    /// <summary>With pub/sub pushing every change, polling is only the safety net.</summary>
    public TimeSpan DefaultKillSwitchPollInterval => TimeSpan.FromMilliseconds(500);

    /// <summary>Connects and checks the server answers.</summary>
    /// <exception cref="BudgetRun.Engine.Budget.LedgerUnavailableException">
    /// The server cannot be reached, or refused the password (reported to <see cref="LedgerOptions.OnFault"/>).
    /// </exception>
    public static async ValueTask<RedisStore> OpenAsync(RedisLedgerLocation location, string accountKey, LedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(options);
        if (location.UseTls && !OpenSslLoads())
        {
            // The runtime aborts the process (SIGABRT) when it needs OpenSSL and finds none: say so first.
            throw StoreGuard.Unavailable(location.DisplayName, LedgerOperation.Open, NoOpenSsl, new DllNotFoundException(NoOpenSsl), options);
        }
        var timeout = (int)Math.Ceiling(options.RedisTimeout.TotalMilliseconds);
        var configuration = new ConfigurationOptions
        {
            AbortOnConnectFail = false, // keep reconnecting in the background; the ping below decides now
            BacklogPolicy = BacklogPolicy.FailFast,
            ConnectTimeout = timeout,
            AsyncTimeout = timeout,
            SyncTimeout = timeout,
            ConnectRetry = 1,
            ReconnectRetryPolicy = new LinearRetry(500),
            DefaultDatabase = location.Database,
            Ssl = location.UseTls,
            SslHost = location.UseTls ? location.Host : null,
            Password = location.Password,
            ClientName = "budget-run",
            // The endpoints are then sentinels: the client asks them for the primary and follows a failover.
            ServiceName = location.ServiceName,
        };
        // A seed list names a cluster's nodes: the client discovers the rest, and the slots, from any of them.
        foreach (var endpoint in location.Endpoints)
        {
            configuration.EndPoints.Add(endpoint.Host, endpoint.Port);
        }
        // The connect log (passwords masked by the client) is where a refused password shows reliably.
        using var log = new StringWriter(CultureInfo.InvariantCulture);
        ConnectionMultiplexer connection;
        try
        {
            connection = await ConnectionMultiplexer.ConnectAsync(configuration, log).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ArgumentException)
        {
            // Through Sentinel a refused password shows here: the sentinels refused it.
            var reason = RefusedPassword(ex, log.ToString()) ? PasswordRefused : CannotConnect(location);
            throw StoreGuard.Unavailable(location.DisplayName, LedgerOperation.Open, reason, ex, options);
        }
        var store = new RedisStore(connection, location, accountKey, options);
        if (location.Database != 0 && store.IsCluster)
        {
            // The client would only say "multiple databases are not supported": name the fix instead.
            await store.DisposeAsync().ConfigureAwait(false);
            var reason = string.Create(CultureInfo.InvariantCulture,
                $"a Redis Cluster has database 0 only, not {location.Database}: end the URI with /0");
            throw StoreGuard.Unavailable(location.DisplayName, LedgerOperation.Open, reason, new RedisCommandException(reason), options);
        }
        try
        {
            await store._database.PingAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (store.DescribeFault(ex) is { } reason)
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw StoreGuard.Unavailable(location.DisplayName, LedgerOperation.Open, RefusedPassword(ex, log.ToString()) ? PasswordRefused : reason, ex, options);
        }
        try
        {
            await store.MoveLegacyAccountsAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (store.DescribeFault(ex) is { } reason)
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw StoreGuard.Unavailable(location.DisplayName, LedgerOperation.Open,
                $"cannot move the accounts of '{accountKey}' from the previous layout: {reason}", ex, options);
        }
        return store;
    }

    /// <summary>
    /// The previous releases used a key's whole text as its hash tag; a key with levels now uses its
    /// root's. An account of the path still in the old place is moved, once, by one script.
    /// </summary>
    private async ValueTask MoveLegacyAccountsAsync()
    {
        foreach (var level in _levels)
        {
            var (legacy, now) = (LegacyPrefixOf(level), PrefixOf(level));
            if (legacy == now || !await _database.KeyExistsAsync(legacy + ":acct").ConfigureAwait(false))
            {
                continue;
            }
            if (IsCluster)
            {
                await MoveAcrossSlotsAsync(legacy, now).ConfigureAwait(false);
            }
            else
            {
                await MoveOnOneServerAsync(legacy, now).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Lists the account's keys, then moves them in one script that declares them all; a key written
    /// between the two (a run of the previous release) makes the script move nothing and list again.
    /// </summary>
    private async ValueTask MoveOnOneServerAsync(string legacy, string now)
    {
        for (var round = 1; round <= RedisHoldings.MaxRounds; round++)
        {
            var found = (RedisResult[])(await EvaluateAsync(RedisScripts.LegacyKeys, [legacy + ":acct"], [legacy]).ConfigureAwait(false))!;
            var keys = found.Select(item => (string)item!).SelectMany(key => new RedisKey[] { key, now + key[legacy.Length..] });
            if ((long)await WriteAsync(RedisScripts.MoveLegacyAccount, [now + ":acct", .. keys], [legacy, now]).ConfigureAwait(false) >= 0)
            {
                return;
            }
        }
        throw RedisHoldings.TooManyRounds("the move from the previous layout");
    }

    private bool IsCluster => _connection.GetServers().Any(server => server.ServerType == ServerType.Cluster);

    /// <summary>
    /// On a cluster the old place (hash tag: the whole key) and the new one (the root's) are in
    /// different slots, often on different nodes, and RENAME cannot cross slots: each key is copied
    /// with DUMP and RESTORE (its time to live kept), the account hash last, then the old keys go.
    /// Not atomic: a second process moving at the same moment finds a key already there (BUSYKEY)
    /// and keeps it, so nothing is copied twice.
    /// </summary>
    private async ValueTask MoveAcrossSlotsAsync(string legacy, string now)
    {
        if (await _database.KeyExistsAsync(now + ":acct").ConfigureAwait(false))
        {
            return;
        }
        var found = (RedisResult[])(await _database.ScriptEvaluateAsync(RedisScripts.LegacyKeys, [legacy + ":acct"], [legacy]).ConfigureAwait(false))!;
        var keys = found.Select(item => (string)item!).OrderBy(key => key == legacy + ":acct").ToArray();
        foreach (var key in keys)
        {
            var dump = await _database.KeyDumpAsync(key).ConfigureAwait(false);
            if (dump is null)
            {
                continue; // expired (or moved by another process) since it was listed
            }
            var ttl = await _database.KeyTimeToLiveAsync(key).ConfigureAwait(false);
            try
            {
                await _database.KeyRestoreAsync(now + key[legacy.Length..], dump, ttl).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYKEY", StringComparison.Ordinal))
            {
                // Another process moved it first.
            }
        }
        await _database.KeyDeleteAsync([.. keys.Select(key => (RedisKey)key)]).ConfigureAwait(false);
    }

    public async ValueTask<ReserveAnswer> ReserveAsync(ReserveRequest request, CancellationToken cancellationToken)
    {
        var levels = request.Levels;
        var keys = new RedisKey[1 + levels.Count * 4];
        var values = new RedisValue[16 + levels.Count * 5];
        keys[0] = ReservationKey(request.Id);
        var terms = request.LeafTerms;
        RedisValue[] head = [levels.Count, request.Id, request.Cents, _options.ClientClock ? request.NowMs : "", request.TtlMs, request.Run.RunId,
            request.Run.ProcessId, request.Run.Host, RetentionMs, terms.LimitCents ?? 0, terms.WindowSeconds ?? 0, terms.Calendar ?? "", terms.TimeZone ?? "",
            request.Run.User, HistoryRetentionMs, request.Leaf.Key];
        head.CopyTo(values, 0);
        for (var i = 0; i < levels.Count; i++)
        {
            var prefix = PrefixOf(levels[i].Key);
            keys[1 + (i * 4)] = prefix + ":acct";
            keys[2 + (i * 4)] = levels[i].Bucket is { } bucket ? prefix + ":b:" + bucket : prefix + ":acct";
            keys[3 + (i * 4)] = prefix + ":open";
            keys[4 + (i * 4)] = prefix + ":h";
            values[16 + (i * 5)] = prefix;
            values[17 + (i * 5)] = levels[i].Bucket ?? "";
            values[18 + (i * 5)] = levels[i].Version;
            values[19 + (i * 5)] = levels[i].StartMs;
            values[20 + (i * 5)] = levels[i].EndMs;
        }
        var items = await EvaluateDeclaringAsync(RedisScripts.Reserve, keys, values, 5, 3, "a reservation", writes: true).ConfigureAwait(false);
        var status = (long)items[0] switch
        {
            1 => ReserveStatus.Reserved,
            0 => ReserveStatus.Insufficient,
            2 => ReserveStatus.Killed,
            3 => ReserveStatus.Stale,
            _ => ReserveStatus.OutsideWindow,
        };
        var ledgerNow = (long)items[2];
        if (status == ReserveStatus.Reserved && _held.Count < HeldMemory)
        {
            _held[request.Id] = RedisHoldings.Of(levels.Where(level => level.Bucket is not null).Select(level => (PrefixOf(level.Key), level.Bucket!)));
        }
        return status is ReserveStatus.Stale or ReserveStatus.OutsideWindow
            ? new ReserveAnswer(status, [], -1, ledgerNow)
            : new ReserveAnswer(status, LevelStates(items, 3, levels), (int)(long)items[1], ledgerNow);
    }

    public async ValueTask<long?> ReadClockAsync(CancellationToken cancellationToken)
    {
        // Any node's TIME on a cluster: a reservation's answer then carries the clock of its slot's own node.
        var time = (RedisResult[])(await _database.ExecuteAsync("TIME").ConfigureAwait(false))!;
        return (long.Parse((string)time[0]!, CultureInfo.InvariantCulture) * 1000) + (long.Parse((string)time[1]!, CultureInfo.InvariantCulture) / 1000);
    }

    public async ValueTask<SettleOutcome> FinishAsync(FinishRequest request, CancellationToken cancellationToken)
    {
        // A cancellation that arrives first records no run (the script leaves run, pid and host empty).
        var reservation = ReservationKey(request.Id);
        var held = _held.TryRemove(request.Id, out var known) ? known : await ReadHeldAsync(reservation).ConfigureAwait(false);
        RedisValue[] values = [_prefix, request.Id, request.ActualCents, request.Nonce, request.NowMs, RetentionMs,
             request.Kind == FinishKind.Settle ? "settled" : "released", request.Kind == FinishKind.Cancel ? "1" : "0",
             request.Run.RunId, request.Run.ProcessId, request.Run.Host, request.Run.User, HistoryRetentionMs];
        long result;
        for (var round = 1; (result = (long)await WriteAsync(RedisScripts.Finish, [reservation, _openKey, .. held], values).ConfigureAwait(false)) == -3; round++)
        {
            // Reserved after the read above (a cancellation that arrived first): read what it holds now.
            if (round == RedisHoldings.MaxRounds)
            {
                throw RedisHoldings.TooManyRounds("a settle");
            }
            held = await ReadHeldAsync(reservation).ConfigureAwait(false);
        }
        return result switch
        {
            1 => SettleOutcome.Settled,
            -1 => SettleOutcome.NotFound,
            _ => SettleOutcome.AlreadySettled,
        };
    }

    /// <summary>What a reservation made elsewhere (another process, or before a restart) holds: read from its hash.</summary>
    private async Task<RedisKey[]> ReadHeldAsync(RedisKey reservation) =>
        [.. (await RedisHoldings.ReadAsync(_database, [((string)reservation!, (string)_openKey!)]).ConfigureAwait(false)).Skip(1)];

    public async ValueTask<IReadOnlyList<BucketState>> AddSpendAsync(AddSpendRequest request, CancellationToken cancellationToken)
    {
        var levels = request.Levels;
        var keys = new RedisKey[1 + levels.Count * 3];
        var values = new RedisValue[9 + (levels.Count * 2)];
        keys[0] = _prefix + ":op:" + request.OperationId;
        RedisValue[] head = [levels.Count, request.Cents, OperationMemoryMs, request.Run.RunId, request.Run.ProcessId, request.Run.Host,
            request.Run.User, HistoryRetentionMs, levels[^1].Key];
        head.CopyTo(values, 0);
        for (var i = 0; i < levels.Count; i++)
        {
            var prefix = PrefixOf(levels[i].Key);
            keys[1 + (i * 3)] = prefix + ":acct";
            keys[2 + (i * 3)] = levels[i].Bucket is { } bucket ? prefix + ":b:" + bucket : prefix + ":acct";
            keys[3 + (i * 3)] = prefix + ":h";
            values[9 + (i * 2)] = prefix;
            values[10 + (i * 2)] = levels[i].Bucket ?? "";
        }
        var items = (RedisResult[])(await WriteAsync(RedisScripts.AddSpend, keys, values).ConfigureAwait(false))!;
        return LevelStates(items, 0, levels);
    }

    public async ValueTask<IReadOnlyList<BucketState>> ReadBucketsAsync(IReadOnlyList<LevelBucket> levels, long nowMs, CancellationToken cancellationToken)
    {
        var keys = new RedisKey[levels.Count * 3];
        var values = new RedisValue[2 + (levels.Count * 2)];
        (values[0], values[1]) = (levels.Count, nowMs);
        for (var i = 0; i < levels.Count; i++)
        {
            var prefix = PrefixOf(levels[i].Key);
            keys[i * 3] = prefix + ":acct";
            keys[1 + (i * 3)] = levels[i].Bucket is { } bucket ? prefix + ":b:" + bucket : prefix + ":acct";
            keys[2 + (i * 3)] = prefix + ":open";
            values[2 + (i * 2)] = prefix;
            values[3 + (i * 2)] = levels[i].Bucket ?? "";
        }
        var items = await EvaluateDeclaringAsync(RedisScripts.Read, keys, values, 0, 1, "a read").ConfigureAwait(false);
        return LevelStates(items, 1, levels);
    }

    public async ValueTask<IReadOnlyList<AccountConfig>> ReadTermsAsync(CancellationToken cancellationToken)
    {
        var levels = await ReadLevelsAsync().ConfigureAwait(false);
        return [.. levels.Select(level => level.Config)];
    }

    public async ValueTask<bool> CreateAccountAsync(AccountConfig terms, long nowMs, RunIdentity actor, CancellationToken cancellationToken) =>
        (long)await WriteAsync(RedisScripts.CreateAccount, [_accountKey, _prefix + ":h"],
            TermsArguments(terms, nowMs, "created: " + terms.Describe(), actor)).ConfigureAwait(false) == 1;

    public async ValueTask<AccountConfig> SetTermsAsync(AccountConfig terms, long nowMs, RunIdentity actor, CancellationToken cancellationToken)
    {
        // The history's "was" is the client's read: one step earlier than the script's, and only words.
        var current = ConfigFrom(await _database.HashGetAsync(_accountKey, TermFields).ConfigureAwait(false));
        var detail = terms.Describe() + (current.HasTerms ? $" (was {current.Describe()})" : " (new account)");
        var before = (RedisResult[])(await WriteAsync(RedisScripts.SetTerms, [_accountKey, _prefix + ":h"],
            TermsArguments(terms, nowMs, detail, actor)).ConfigureAwait(false))!;
        return ConfigFrom([.. before.Select(item => item.IsNull ? RedisValue.Null : (RedisValue)item)]);
    }

    /// <summary>SCAN over every server of the connection (one slot per account, so a cluster's nodes each hold some).</summary>
    public async ValueTask<IReadOnlyList<AccountEntry>> ListAccountsAsync(string prefix, CancellationToken cancellationToken)
    {
        // Keys hold none of the glob's special characters (LedgerAccount.IsValidKey), so the prefix is
        // literal; the hash tag closes after the root segment ({acme}/support), so '}' is dropped.
        var pattern = prefix.Contains(AccountPath.Separator, StringComparison.Ordinal)
            ? $"{PrefixOf(prefix)}*:acct"
            : $"budget-run:{{{prefix}*:acct";
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var server in _connection.GetServers().Where(server => server.IsConnected && !server.IsReplica))
        {
            await foreach (var key in server.KeysAsync(_database.Database, pattern, pageSize: 500).ConfigureAwait(false))
            {
                var text = (string)key!;
                var open = text.IndexOf('{', StringComparison.Ordinal);
                var end = text.LastIndexOf(":acct", StringComparison.Ordinal);
                if (open >= 0 && end > open)
                {
                    var account = text[(open + 1)..end].Replace("}", "", StringComparison.Ordinal);
                    if (LedgerAccount.IsValidKey(account) && account.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        keys.Add(account);
                    }
                }
            }
        }
        var accounts = new List<AccountEntry>(keys.Count);
        foreach (var key in keys)
        {
            var values = await _database.HashGetAsync(PrefixOf(key) + ":acct", [.. TermFields, "killed"]).ConfigureAwait(false);
            accounts.Add(new AccountEntry(key, ConfigFrom(values), values[5] == "1"));
        }
        return accounts;
    }

    public async ValueTask<KillSwitchState> ReadKillSwitchAsync(CancellationToken cancellationToken)
    {
        var levels = await ReadLevelsAsync().ConfigureAwait(false);
        return levels.Select(level => level.KillSwitch).FirstOrDefault(state => state.Engaged);
    }

    public async ValueTask<bool> SetKillSwitchAsync(KillSwitchChange change, CancellationToken cancellationToken)
    {
        var actor = change.Actor;
        var result = await WriteAsync(RedisScripts.SetKillSwitch,
            [_accountKey, _prefix + ":h"],
            [change.Engaged ? "1" : "0", change.Reason ?? "", change.NowMs, _channelName, _prefix, actor.RunId, actor.ProcessId, actor.Host,
             actor.User, HistoryRetentionMs]).ConfigureAwait(false);
        return (long)result == 1;
    }

    public async ValueTask<ReservationInfo?> ReadReservationAsync(string id, CancellationToken cancellationToken)
    {
        var entries = await _database.HashGetAllAsync(ReservationKey(id)).ConfigureAwait(false);
        if (entries.Length == 0)
        {
            return null;
        }
        var fields = entries.ToDictionary(e => (string)e.Name!, e => e.Value, StringComparer.Ordinal);
        RedisValue Field(string name) => fields.TryGetValue(name, out var value) ? value : RedisValue.Null;
        var state = (string?)Field("state") switch
        {
            "open" => ReservationState.Open,
            "settled" => ReservationState.Settled,
            "released" => ReservationState.Released,
            _ => ReservationState.Expired,
        };
        return new ReservationInfo(
            id, (string?)Field("bucket") ?? "", (long)Field("cents"), state,
            Field("settled").IsNull ? null : (long)Field("settled"),
            DateTimeOffset.FromUnixTimeMilliseconds((long)Field("created")),
            DateTimeOffset.FromUnixTimeMilliseconds((long)Field("expires")),
            new RunIdentity((string?)Field("run") ?? "", (int)Field("pid"), (string?)Field("host") ?? ""));
    }

    public async ValueTask<IReadOnlyList<HistoryEntry>> ReadHistoryAsync(long sinceMs, long untilMs, string? after, int limit, CancellationToken cancellationToken)
    {
        // Stream ids are "ms-seq" on the server's clock: the range is by time, and after a cursor exclusive.
        var start = after is null ? (RedisValue)sinceMs.ToString(CultureInfo.InvariantCulture) : (RedisValue)("(" + after);
        var end = (RedisValue)(untilMs - 1).ToString(CultureInfo.InvariantCulture);
        var result = (RedisResult[])(await _database.ExecuteAsync("XRANGE", _prefix + ":h", start, end, "COUNT", limit).ConfigureAwait(false))!;
        var entries = new List<HistoryEntry>(result.Length);
        foreach (var item in result)
        {
            var pair = (RedisResult[])item!;
            var id = (string)pair[0]!;
            var raw = (RedisResult[])pair[1]!;
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i + 1 < raw.Length; i += 2)
            {
                fields[(string)raw[i]!] = (string?)raw[i + 1] ?? "";
            }
            string? Field(string name) => fields.TryGetValue(name, out var value) && value.Length > 0 ? value : null;
            long Number(string name) => long.TryParse(Field(name), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : 0;
            var ms = long.Parse(id.AsSpan(0, id.IndexOf('-', StringComparison.Ordinal)), NumberStyles.None, CultureInfo.InvariantCulture);
            if (!HistoryKinds.TryParse(Field("k"), out var kind))
            {
                continue; // written by a newer budget-run
            }
            entries.Add(new HistoryEntry(id, DateTimeOffset.FromUnixTimeMilliseconds(ms), Field("a") ?? "", kind, Field("b"),
                Number("sd"), Number("rd"), Field("res"), Field("o"), Field("run"), Field("host"),
                int.TryParse(Field("pid"), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null, Field("user"), Field("d")));
        }
        return entries;
    }

    public async ValueTask<IAsyncDisposable?> SubscribeKillSwitchAsync(Action poke, CancellationToken cancellationToken) =>
        await RedisKillSwitchSubscription.StartAsync(_connection, [.. _levels.Select(level => RedisChannel.Literal(PrefixOf(level) + ":kill"))], poke)
            .ConfigureAwait(false);

    /// <summary>Only a command never sent (no connection at all) is sure not to run; a timeout or a dropped connection may have run it.</summary>
    public bool MayHaveLanded(Exception error) =>
        error is not RedisConnectionException { FailureType: ConnectionFailureType.UnableToConnect or ConnectionFailureType.AuthenticationFailure };

    public string? DescribeFault(Exception error) => error switch
    {
        RedisConnectionException ex when TlsFailure(ex) is { } tls => tls,
        RedisConnectionException ex when IsAuthenticationFailure(ex) => PasswordRefused,
        RedisConnectionException { FailureType: ConnectionFailureType.SocketClosed or ConnectionFailureType.SocketFailure } =>
            "the connection to the server was lost",
        RedisConnectionException => _cannotConnect,
        RedisTimeoutException => string.Create(CultureInfo.InvariantCulture,
            $"no answer from the server within {_options.RedisTimeout.TotalSeconds:0.###}s"),
        RedisServerException ex => $"the server answered an error: {Scrub(ex.Message)}",
        ReplicaNotAcknowledgedException ex => ex.Message,
        RedisException ex => Scrub(ex.Message),
        TimeoutException => string.Create(CultureInfo.InvariantCulture,
            $"no answer from the server within {_options.RedisTimeout.TotalSeconds:0.###}s"),
        // The client's read loop racing its own reconnect (StackExchange.Redis #2692, #3085): the
        // connection was torn down under the request, as in a reset; seen after a SIGSTOPped server woke.
        InvalidOperationException ex when IsPipeTornDown(ex) => "the request was dropped when the connection to the server was reset",
        // No Redis step takes a token, so a cancelled step is the client dropping a request it had
        // queued when its connection was torn down (seen after a SIGSTOPped server woke up).
        OperationCanceledException => "the request was dropped when the connection to the server was reset",
        _ => null,
    };

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync().ConfigureAwait(false);

    /// <summary>System.IO.Pipelines' "reading is not allowed after reader was completed", thrown into a request by the client's read loop.</summary>
    private static bool IsPipeTornDown(InvalidOperationException error) =>
        error.Message.StartsWith("Reading is not allowed after reader was completed", StringComparison.Ordinal)
        || error.StackTrace?.Contains("System.IO.Pipelines", StringComparison.Ordinal) == true;

    private long RetentionMs => (long)_options.Retention.TotalMilliseconds;

    private long HistoryRetentionMs => (long)_options.HistoryRetention.TotalMilliseconds;

    /// <summary>
    /// Runs a script; when the connection dropped under it and is already back, runs it once more:
    /// the first run may or may not have happened, and every script is idempotent, so that is safe.
    /// </summary>
    private async Task<RedisResult> EvaluateAsync(string script, RedisKey[] keys, RedisValue[] values)
    {
        script = Rewritten(script);
        try
        {
            return await _database.ScriptEvaluateAsync(script, keys, values).ConfigureAwait(false);
        }
        catch (RedisConnectionException) when (_connection.IsConnected)
        {
            return await _database.ScriptEvaluateAsync(script, keys, values).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs a script that writes: as <see cref="EvaluateAsync"/>, and behind Sentinel only done once a
    /// replica has it. A write no replica confirmed may be on the primary: the caller's kept update
    /// (or cancellation) makes it again, idempotently, once one does.
    /// </summary>
    private async Task<RedisResult> WriteAsync(string script, RedisKey[] keys, RedisValue[] values)
    {
        if (_acknowledgement is not { } acknowledgement)
        {
            return await EvaluateAsync(script, keys, values).ConfigureAwait(false);
        }
        script = Rewritten(script);
        try
        {
            return await acknowledgement.EvaluateAsync(_database, script, keys, values).ConfigureAwait(false);
        }
        catch (RedisConnectionException) when (_connection.IsConnected)
        {
            return await acknowledgement.EvaluateAsync(_database, script, keys, values).ConfigureAwait(false);
        }
    }

    private string Rewritten(string script) => _options.RewriteScript is { } rewrite ? _rewritten.GetOrAdd(script, rewrite) : script;

    /// <summary>
    /// Runs a script that may answer <paramref name="askStatus"/> with reservations it needs declared
    /// (from <paramref name="askAt"/> on, having changed nothing): reads them and runs it again with
    /// their keys added, at most <see cref="RedisHoldings.MaxRounds"/> times.
    /// </summary>
    private async Task<RedisResult[]> EvaluateDeclaringAsync(string script, RedisKey[] keys, RedisValue[] values, long askStatus, int askAt, string what,
        bool writes = false)
    {
        var declared = new List<RedisKey>(keys);
        var seen = new HashSet<RedisKey>(keys);
        for (var round = 1; ; round++)
        {
            var items = (RedisResult[])(await (writes ? WriteAsync(script, [.. declared], values) : EvaluateAsync(script, [.. declared], values))
                .ConfigureAwait(false))!;
            if ((long)items[0] != askStatus)
            {
                return items;
            }
            if (round == RedisHoldings.MaxRounds)
            {
                throw RedisHoldings.TooManyRounds(what);
            }
            declared.AddRange((await RedisHoldings.ReadAsync(_database, items, askAt).ConfigureAwait(false)).Where(seen.Add));
        }
    }

    private static readonly RedisValue[] TermFields = ["limit", "window", "calendar", "tz", "tv"];

    private static AccountConfig ConfigFrom(RedisValue[] values) => new(
        values[0].IsNull ? null : (long)values[0],
        values[1].IsNull ? null : (long)values[1],
        Text(values[2]),
        Text(values[3]),
        values[4].IsNull ? 0 : (long)values[4]);

    /// <summary>Every level's terms and kill switch, root first, in one script (one consistent read).</summary>
    private async ValueTask<(AccountConfig Config, KillSwitchState KillSwitch)[]> ReadLevelsAsync()
    {
        var keys = _levels.Select(level => (RedisKey)(PrefixOf(level) + ":acct")).ToArray();
        var items = (RedisResult[])(await EvaluateAsync(RedisScripts.ReadLevels, keys, []).ConfigureAwait(false))!;
        var levels = new (AccountConfig, KillSwitchState)[_levels.Count];
        for (var i = 0; i < levels.Length; i++)
        {
            var v = items.Skip(i * 8).Take(8).Select(item => item.IsNull ? RedisValue.Null : (RedisValue)item).ToArray();
            var killSwitch = v[5] == "1" ? new KillSwitchState(true, Text(v[6]), TimeFrom(v[7]), _levels[i]) : KillSwitchState.Off;
            levels[i] = (ConfigFrom(v), killSwitch);
        }
        return levels;
    }

    /// <summary>Per level {spent, reserved, killed, reason, killed_at} from <paramref name="at"/>.</summary>
    private static BucketState[] LevelStates(RedisResult[] items, int at, IReadOnlyList<LevelBucket> levels)
    {
        var states = new BucketState[levels.Count];
        for (var i = 0; i < states.Length; i++)
        {
            var k = at + (i * 5);
            var killSwitch = (long)items[k + 2] == 1
                ? new KillSwitchState(true, Text((RedisValue)items[k + 3]), TimeFrom((RedisValue)items[k + 4]), levels[i].Key)
                : KillSwitchState.Off;
            states[i] = new BucketState((long)items[k], (long)items[k + 1], killSwitch);
        }
        return states;
    }

    private RedisValue[] TermsArguments(AccountConfig terms, long nowMs, string detail, RunIdentity actor) =>
        [terms.LimitCents ?? 0, terms.WindowSeconds ?? 0, terms.Calendar ?? "", terms.TimeZone ?? "", nowMs, _prefix, detail,
         actor.RunId, actor.ProcessId, actor.Host, actor.User, HistoryRetentionMs];

    private RedisKey ReservationKey(string id) => _prefix + ":r:" + id;

    private string Scrub(string text)
    {
        var line = text.ReplaceLineEndings(" ");
        return _password is { Length: > 0 } password ? line.Replace(password, "***", StringComparison.Ordinal) : line;
    }

    /// <summary>Whether OpenSSL can be loaded (with its libcrypto): the Native AOT binary itself needs neither until TLS is used.</summary>
    private static bool OpenSslLoads()
    {
        foreach (var name in _openSslNames)
        {
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                NativeLibrary.Free(handle);
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// A failed TLS handshake (rediss://) shows as an authentication failure too, with the TLS error
    /// further down the chain: it must not be reported as a refused password.
    /// </summary>
    private static string? TlsFailure(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is AuthenticationException tls)
            {
                return $"the TLS handshake failed: {tls.Message.ReplaceLineEndings(" ")} "
                    + "(a certificate from a private CA needs SSL_CERT_FILE naming that CA's certificate)";
            }
        }
        return null;
    }

    /// <summary>Whether the connect log (passwords masked by the client) says a server refused the password, and not a TLS handshake.</summary>
    private static bool RefusedPassword(Exception error, string log) =>
        TlsFailure(error) is null && log.Contains(nameof(ConnectionFailureType.AuthenticationFailure), StringComparison.Ordinal)
        || log.Contains("NOAUTH", StringComparison.Ordinal) || log.Contains("WRONGPASS", StringComparison.Ordinal);

    /// <summary>A refused password shows as "no connection", with the reason further down the chain.</summary>
    private static bool IsAuthenticationFailure(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure })
            {
                return true;
            }
        }
        return false;
    }

    private static string? Text(RedisValue value) => value.IsNullOrEmpty ? null : (string?)value;

    private static DateTimeOffset? TimeFrom(RedisValue value) =>
        !value.IsNullOrEmpty && long.TryParse((string?)value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;
}
