using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace BudgetRun.Testing;

/// <summary>
/// A real Redis Sentinel setup on free loopback ports: one primary, one replica and three
/// sentinels (<c>redis-server --sentinel</c>) watching them under <see cref="ServiceName"/> with
/// quorum 2, a primary taken for down after 1 s and a failover timeout of 3 s, so that a failover
/// completes in a few seconds. Ready once every sentinel knows the primary, the replica and the two
/// other sentinels, and the replica is in sync. <see cref="FailoverAsync"/> and
/// <see cref="KillPrimaryAsync"/> move the primary; both return once every sentinel names the new one.
/// Every process is killed, and the data directory deleted, on dispose.
/// </summary>
internal sealed class RedisSentinel : IAsyncDisposable
{
    public const string ServiceName = "budget-ledger";

    public const int SentinelCount = 3;

    private static readonly TimeSpan _startLimit = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan _readyLimit = TimeSpan.FromSeconds(45);

    private readonly Scratch _data = new();
    private readonly List<RedisServer> _servers = [];
    private readonly List<SentinelNode> _sentinels = [];
    private readonly string? _password;

    private RedisSentinel(string? password) => _password = password;

    /// <summary>The sentinels' ports.</summary>
    public IReadOnlyList<int> SentinelPorts => [.. _sentinels.Select(sentinel => sentinel.Port)];

    /// <summary>The <c>--ledger</c> value that names this setup: its sentinels and the service.</summary>
    public string Uri => "redis+sentinel://" + string.Join(',', SentinelPorts.Select(port => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}")))
        + $"/{ServiceName}/0";

    /// <summary>The data server the sentinels name as the primary.</summary>
    public RedisServer Primary => Server(PrimaryPortFrom(_sentinels[0].Port));

    /// <summary>A data server that is not the primary (the replica, or the old primary once it failed over).</summary>
    public RedisServer Replica
    {
        get
        {
            var primary = PrimaryPortFrom(_sentinels[0].Port);
            return _servers.First(server => server.Port != primary);
        }
    }

    /// <summary>Starts the primary, its replica and the sentinels; <paramref name="password"/> protects all of them.</summary>
    public static async Task<RedisSentinel> StartAsync(string? password = null)
    {
        var setup = new RedisSentinel(password);
        try
        {
            string[] auth = password is null ? [] : ["--requirepass", password, "--masterauth", password];
            var primary = await RedisServer.StartAsync(false, auth);
            setup._servers.Add(primary);
            setup._servers.Add(await RedisServer.StartAsync(false, [.. auth, "--replicaof", "127.0.0.1", primary.Port.ToString(CultureInfo.InvariantCulture)]));
            for (var i = 0; i < SentinelCount; i++)
            {
                var sentinel = new SentinelNode(Ports.FreeLoopback(), setup._data.Path($"sentinel-{i}.conf"));
                setup._sentinels.Add(sentinel);
                sentinel.Start(primary.Port, password);
            }
            foreach (var sentinel in setup._sentinels)
            {
                await sentinel.WaitUntilAnswersAsync();
            }
            await setup.WaitUntilAsync(() => setup.IsSettled(primary.Port), "the sentinels did not agree on the primary and its replica");
        }
        catch
        {
            await setup.DisposeAsync();
            throw;
        }
        return setup;
    }

    /// <summary>
    /// <c>SENTINEL FAILOVER</c>: the replica is promoted while the old primary still runs; returns
    /// once every sentinel names the new primary and the old one replicates from it (so that writes
    /// can be confirmed by a replica again). Sentinel demotes the old primary on its 10 s check.
    /// </summary>
    public async Task<RedisServer> FailoverAsync()
    {
        var old = Primary.Port;
        await WaitUntilAsync(() => TryCli(_sentinels[0].Port, "sentinel", "failover", ServiceName).StartsWith("OK", StringComparison.Ordinal),
            "SENTINEL FAILOVER was refused");
        await WaitUntilAsync(() => IsSettled(_servers.First(server => server.Port != old).Port), "the failover did not complete");
        return Primary;
    }

    /// <summary>SIGKILL of the primary (a crash); returns once every sentinel names the replica as the new primary.</summary>
    public async Task<RedisServer> KillPrimaryAsync()
    {
        var old = Primary;
        old.Kill();
        return await WaitForPrimaryAsync(_servers.First(server => server != old));
    }

    /// <summary>
    /// Returns once every sentinel names <paramref name="server"/> as the primary, it says it is one,
    /// and the failover has ended (<see cref="IsSettled"/>: no sentinel's flags say
    /// failover_in_progress). A killed server restarted before that (empty) could be taken for the
    /// primary by a sentinel still mid-failover, and the promoted one resynced from it: CI saw a
    /// promoted replica lose a reservation it had acknowledged.
    /// </summary>
    public async Task<RedisServer> WaitForPrimaryAsync(RedisServer server)
    {
        await WaitUntilAsync(() => _sentinels.All(sentinel => PrimaryPortFrom(sentinel.Port) == server.Port)
            && Role(server.Port) == "master" && IsSettled(server.Port), $"the sentinels did not promote the server on port {server.Port}");
        return server;
    }

    /// <summary>Starts a killed server again (empty: no persistence); returns once sentinel has made it a replica in sync.</summary>
    public Task RejoinAsync(RedisServer server) => RestartAndWaitAsync(server);

    /// <summary>Runs <c>redis-cli</c> against <paramref name="port"/> (a server or a sentinel) and returns what it printed.</summary>
    public string Cli(int port, params string[] arguments)
    {
        var (exit, output) = RunCli(port, arguments);
        return exit == 0 ? output : throw new InvalidOperationException($"redis-cli -p {port} {string.Join(' ', arguments)} exited {exit}:\n{output}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var sentinel in _sentinels)
        {
            await sentinel.DisposeAsync();
        }
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }
        _data.Dispose();
    }

    private async Task RestartAndWaitAsync(RedisServer server)
    {
        await server.RestartAsync();
        await WaitUntilAsync(() => IsSettled(Primary.Port), "the restarted server did not become a replica in sync");
    }

    /// <summary>
    /// Every sentinel names <paramref name="primary"/>, which says it is the master, and every other
    /// running server replicates from it with its link up.
    /// </summary>
    private bool IsSettled(int primary)
    {
        foreach (var sentinel in _sentinels)
        {
            var master = Fields(TryCli(sentinel.Port, "sentinel", "master", ServiceName));
            if (PrimaryPortFrom(sentinel.Port) != primary || master.GetValueOrDefault("flags") != "master"
                || master.GetValueOrDefault("num-other-sentinels") != (SentinelCount - 1).ToString(CultureInfo.InvariantCulture))
            {
                return false;
            }
        }
        if (Role(primary) != "master")
        {
            return false;
        }
        foreach (var server in _servers.Where(server => server.Port != primary && server.IsRunning))
        {
            var info = TryCli(server.Port, "info", "replication");
            if (!info.Contains(string.Create(CultureInfo.InvariantCulture, $"master_port:{primary}"), StringComparison.Ordinal)
                || !info.Contains("master_link_status:up", StringComparison.Ordinal))
            {
                return false;
            }
        }
        return _servers.Count(server => server.IsRunning) < 2 || Fields(TryCli(_sentinels[0].Port, "sentinel", "master", ServiceName))
            .GetValueOrDefault("num-slaves") is { } replicas && int.Parse(replicas, CultureInfo.InvariantCulture) >= 1;
    }

    private RedisServer Server(int port) => _servers.First(server => server.Port == port);

    private int PrimaryPortFrom(int sentinelPort)
    {
        var lines = TryCli(sentinelPort, "sentinel", "get-master-addr-by-name", ServiceName).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return lines.Length == 2 && int.TryParse(lines[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : 0;
    }

    private string Role(int port) => TryCli(port, "role").Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "";

    /// <summary><c>SENTINEL MASTER</c>'s answer (field and value on alternate lines) as a dictionary.</summary>
    private static Dictionary<string, string> Fields(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Trim()).ToArray();
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < lines.Length; i += 2)
        {
            fields[lines[i]] = lines[i + 1];
        }
        return fields;
    }

    private async Task WaitUntilAsync(Func<bool> condition, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > _readyLimit)
            {
                var state = string.Join("\n", _sentinels.Select(sentinel =>
                    $"sentinel {sentinel.Port}: {TryCli(sentinel.Port, "sentinel", "master", ServiceName).ReplaceLineEndings(" ")}"));
                throw new InvalidOperationException($"{failure} within {_readyLimit.TotalSeconds}s:\n{state}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System);
        }
    }

    /// <summary>What redis-cli printed, or its error text (a server that is down prints that): callers poll.</summary>
    private string TryCli(int port, params string[] arguments) => RunCli(port, arguments).Output;

    private (int Exit, string Output) RunCli(int port, string[] arguments)
    {
        string[] auth = _password is null ? [] : ["-a", _password, "--no-auth-warning"];
        string[] all = ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), .. auth, .. arguments];
        using var process = Process.Start(ProcessStart.Info(RedisCluster.Cli, all, redirectStdin: false))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            process.Kill();
            process.WaitForExit();
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>One <c>redis-server --sentinel</c> with a configuration file of its own (a sentinel rewrites it).</summary>
    private sealed class SentinelNode(int port, string configFile) : IAsyncDisposable
    {
        private RedisProcess? _process;

        public int Port { get; } = port;

        public void Start(int primaryPort, string? password)
        {
            var config = new StringBuilder()
                .AppendLine(CultureInfo.InvariantCulture, $"port {Port}")
                .AppendLine("bind 127.0.0.1")
                .AppendLine("daemonize no")
                .AppendLine(CultureInfo.InvariantCulture, $"dir {Path.GetDirectoryName(configFile)}")
                .AppendLine(CultureInfo.InvariantCulture, $"sentinel monitor {ServiceName} 127.0.0.1 {primaryPort} 2")
                .AppendLine(CultureInfo.InvariantCulture, $"sentinel down-after-milliseconds {ServiceName} 1000")
                .AppendLine(CultureInfo.InvariantCulture, $"sentinel failover-timeout {ServiceName} 3000")
                .AppendLine(CultureInfo.InvariantCulture, $"sentinel parallel-syncs {ServiceName} 1");
            if (password is not null)
            {
                config.AppendLine(CultureInfo.InvariantCulture, $"requirepass {password}")
                    .AppendLine(CultureInfo.InvariantCulture, $"sentinel auth-pass {ServiceName} {password}");
            }
            File.WriteAllText(configFile, config.ToString());
            _process = RedisProcess.Start([configFile, "--sentinel", "--loglevel", "warning"]);
        }

        public Task WaitUntilAnswersAsync() => _process!.WaitUntilAnswersAsync(Port, "redis-sentinel");

        public async ValueTask DisposeAsync()
        {
            if (_process is { } process)
            {
                await process.DisposeAsync();
                _process = null;
            }
        }
    }
}
