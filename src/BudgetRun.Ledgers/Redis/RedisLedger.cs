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
/// settle nonces, spend operation ids), so a retry after a lost answer never charges twice.
/// </summary>
internal sealed class RedisLedger : AccountLedger
{
    /// <summary>How long a reported spend's operation id is remembered: far longer than any retry of it.</summary>
    private const long OperationMemoryMs = 3_600_000;

    private const string NoOpenSsl = "TLS (rediss://) needs OpenSSL and no libssl could be loaded (Debian: install libssl3)";

    /// <summary>The sonames .NET probes for OpenSSL, newest first.</summary>
    private static readonly string[] _openSslNames = ["libssl.so.3", "libssl.so.1.1", "libssl.so.1.0.2", "libssl.so.1.0.0", "libssl.so.10", "libssl.so"];

    private const string PasswordRefused = $"the server refused the password (check {LedgerUriParser.PasswordVariable})";

    private readonly ConnectionMultiplexer _connection;
    private readonly IDatabase _database;
    private readonly string? _password;
    private readonly string _prefix;
    private readonly RedisKey _accountKey;
    private readonly RedisKey _openKey;
    private readonly string _channelName;
    private readonly RedisChannel _channel;

    private RedisLedger(ConnectionMultiplexer connection, RedisLedgerLocation location, LedgerAccount account, RunIdentity run,
        LedgerOptions options, TimeProvider time)
        : base(location.DisplayName, account, run, options, time)
    {
        _connection = connection;
        _database = connection.GetDatabase(location.Database);
        _password = location.Password;
        _prefix = $"budget-run:{{{account.Key}}}";
        _accountKey = _prefix + ":acct";
        _openKey = _prefix + ":open";
        _channelName = _prefix + ":kill";
        _channel = RedisChannel.Literal(_channelName);
    }

    /// <summary>With pub/sub pushing every change, polling is only the safety net.</summary>
    protected override TimeSpan DefaultKillSwitchPollInterval => TimeSpan.FromMilliseconds(500);

    /// <summary>Connects and checks the server answers.</summary>
    /// <exception cref="BudgetRun.Engine.Budget.LedgerUnavailableException">The server cannot be reached, or refused the password.</exception>
    public static async ValueTask<RedisLedger> OpenAsync(
        RedisLedgerLocation location, LedgerAccount account, RunIdentity run, LedgerOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(options);
        if (location.UseTls && !OpenSslLoads())
        {
            // The runtime aborts the process (SIGABRT) when it needs OpenSSL and finds none: say so first.
            throw Unavailable(location.DisplayName, "open", NoOpenSsl, new DllNotFoundException(NoOpenSsl), options);
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
        };
        configuration.EndPoints.Add(location.Host, location.Port);
        // The connect log (passwords masked by the client) is where a refused password shows reliably.
        using var log = new StringWriter(CultureInfo.InvariantCulture);
        ConnectionMultiplexer connection;
        try
        {
            connection = await ConnectionMultiplexer.ConnectAsync(configuration, log).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ArgumentException)
        {
            throw Unavailable(location.DisplayName, "open", "cannot connect to the server", ex, options);
        }
        var ledger = new RedisLedger(connection, location, account, run, options, time);
        try
        {
            await ledger._database.PingAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ledger.DescribeFault(ex) is { } reason)
        {
            await ledger.DisposeAsync().ConfigureAwait(false);
            var text = log.ToString();
            var refused = TlsFailure(ex) is null && text.Contains(nameof(ConnectionFailureType.AuthenticationFailure), StringComparison.Ordinal)
                || text.Contains("NOAUTH", StringComparison.Ordinal) || text.Contains("WRONGPASS", StringComparison.Ordinal);
            throw Unavailable(location.DisplayName, "open", refused ? PasswordRefused : reason, ex, options);
        }
        return ledger;
    }

    protected override async ValueTask<(ReserveStatus Status, BucketState State)> ReserveCoreAsync(NewReservation request, CancellationToken cancellationToken)
    {
        var result = await EvaluateAsync(RedisScripts.Reserve,
            [_accountKey, BucketKey(request.Bucket), _openKey, ReservationKey(request.Id)],
            [_prefix, request.Id, request.Bucket, request.Cents, request.LimitCents, request.NowMs, request.ExpiresAtMs,
             request.Run.RunId, request.Run.ProcessId, request.Run.Host, request.WindowSeconds, RetentionMs]).ConfigureAwait(false);
        var items = (RedisResult[])result!;
        var status = (long)items[0] switch
        {
            1 => ReserveStatus.Reserved,
            0 => ReserveStatus.Insufficient,
            _ => ReserveStatus.Killed,
        };
        return (status, new BucketState((long)items[1], (long)items[2], KillSwitchFrom(items, 3)));
    }

    protected override async ValueTask<SettleOutcome> FinishCoreAsync(string id, long actualCents, bool release, bool cancel, string nonce, long nowMs,
        CancellationToken cancellationToken)
    {
        var result = await EvaluateAsync(RedisScripts.Finish,
            [ReservationKey(id), _openKey],
            [_prefix, id, actualCents, nonce, nowMs, RetentionMs, release ? "released" : "settled", cancel ? "1" : "0"]).ConfigureAwait(false);
        return (long)result switch
        {
            1 => SettleOutcome.Settled,
            -1 => SettleOutcome.NotFound,
            _ => SettleOutcome.AlreadySettled,
        };
    }

    protected override async ValueTask<BucketState> AddSpendCoreAsync(string bucket, long cents, string operationId, long nowMs, CancellationToken cancellationToken)
    {
        var result = await EvaluateAsync(RedisScripts.AddSpend,
            [_accountKey, BucketKey(bucket), _prefix + ":op:" + operationId],
            [cents, OperationMemoryMs]).ConfigureAwait(false);
        var items = (RedisResult[])result!;
        return new BucketState((long)items[0], (long)items[1], KillSwitchFrom(items, 2));
    }

    protected override async ValueTask<BucketState> ReadCoreAsync(string bucket, long nowMs, CancellationToken cancellationToken)
    {
        var result = await EvaluateAsync(RedisScripts.Read,
            [_accountKey, BucketKey(bucket), _openKey],
            [_prefix, bucket, nowMs]).ConfigureAwait(false);
        var items = (RedisResult[])result!;
        return new BucketState((long)items[0], (long)items[1], KillSwitchFrom(items, 2));
    }

    protected override async ValueTask<AccountConfig> ReadConfigCoreAsync(CancellationToken cancellationToken)
    {
        var values = await _database.HashGetAsync(_accountKey, ["limit", "window"]).ConfigureAwait(false);
        return new AccountConfig(values[0].IsNull ? null : (long)values[0], values[1].IsNull ? null : (long)values[1]);
    }

    protected override async ValueTask<KillSwitchState> ReadKillSwitchCoreAsync(CancellationToken cancellationToken)
    {
        var values = await _database.HashGetAsync(_accountKey, ["killed", "reason", "killed_at"]).ConfigureAwait(false);
        return values[0] == "1"
            ? new KillSwitchState(true, Text(values[1]), TimeFrom(values[2]))
            : KillSwitchState.Off;
    }

    protected override async ValueTask<bool> SetKillSwitchCoreAsync(bool engaged, string? reason, long nowMs, CancellationToken cancellationToken)
    {
        var result = await EvaluateAsync(RedisScripts.SetKillSwitch,
            [_accountKey],
            [engaged ? "1" : "0", reason ?? "", nowMs, _channelName]).ConfigureAwait(false);
        return (long)result == 1;
    }

    protected override async ValueTask<ReservationInfo?> ReadReservationCoreAsync(string id, CancellationToken cancellationToken)
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

    protected override async ValueTask<IAsyncDisposable?> SubscribeKillSwitchAsync(Action poke, CancellationToken cancellationToken) =>
        await RedisKillSwitchSubscription.StartAsync(_connection, _channel, poke).ConfigureAwait(false);

    /// <summary>Only a command never sent (no connection at all) is sure not to run; a timeout or a dropped connection may have run it.</summary>
    protected override bool MayHaveLanded(Exception error) =>
        error is not RedisConnectionException { FailureType: ConnectionFailureType.UnableToConnect or ConnectionFailureType.AuthenticationFailure };

    protected override string? DescribeFault(Exception error) => error switch
    {
        RedisConnectionException ex when TlsFailure(ex) is { } tls => tls,
        RedisConnectionException ex when IsAuthenticationFailure(ex) => PasswordRefused,
        RedisConnectionException { FailureType: ConnectionFailureType.SocketClosed or ConnectionFailureType.SocketFailure } =>
            "the connection to the server was lost",
        RedisConnectionException => "cannot connect to the server",
        RedisTimeoutException => string.Create(CultureInfo.InvariantCulture,
            $"no answer from the server within {Options.RedisTimeout.TotalSeconds:0.###}s"),
        RedisServerException ex => $"the server answered an error: {Scrub(ex.Message)}",
        RedisException ex => Scrub(ex.Message),
        TimeoutException => string.Create(CultureInfo.InvariantCulture,
            $"no answer from the server within {Options.RedisTimeout.TotalSeconds:0.###}s"),
        // No Redis step takes a token, so a cancelled step is the client dropping a request it had
        // queued when its connection was torn down (seen after a SIGSTOPped server woke up).
        OperationCanceledException => "the request was dropped when the connection to the server was reset",
        _ => null,
    };

    protected override async ValueTask DisposeCoreAsync() => await _connection.DisposeAsync().ConfigureAwait(false);

    private long RetentionMs => (long)Options.Retention.TotalMilliseconds;

    /// <summary>
    /// Runs a script; when the connection dropped under it and is already back, runs it once more:
    /// the first run may or may not have happened, and every script is idempotent, so that is safe.
    /// </summary>
    private async Task<RedisResult> EvaluateAsync(string script, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return await _database.ScriptEvaluateAsync(script, keys, values).ConfigureAwait(false);
        }
        catch (RedisConnectionException) when (_connection.IsConnected)
        {
            return await _database.ScriptEvaluateAsync(script, keys, values).ConfigureAwait(false);
        }
    }

    private RedisKey BucketKey(string bucket) => _prefix + ":b:" + bucket;

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

    private static KillSwitchState KillSwitchFrom(RedisResult[] items, int at) => (long)items[at] == 1
        ? new KillSwitchState(true, Text((RedisValue)items[at + 1]), TimeFrom((RedisValue)items[at + 2]))
        : KillSwitchState.Off;

    private static string? Text(RedisValue value) => value.IsNullOrEmpty ? null : (string?)value;

    private static DateTimeOffset? TimeFrom(RedisValue value) =>
        !value.IsNullOrEmpty && long.TryParse((string?)value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;
}
