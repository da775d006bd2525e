using System.Diagnostics;
using System.Globalization;

namespace BudgetRun.Testing;

/// <summary>
/// A real Redis Cluster of three primaries (no replicas) on free loopback ports, made with
/// <c>redis-cli --cluster create</c> and ready once every node says <c>cluster_state:ok</c> with all
/// 16384 slots assigned and every node known. Each node's cluster bus gets a free port of its own
/// (<c>--cluster-port</c>), so a client port above 55535 works too. A port taken between the probe and
/// the bind makes a node fail to start: the whole cluster is then started again on other ports.
/// Every node is killed, and the data directory deleted, on dispose.
/// </summary>
internal sealed class RedisCluster : IAsyncDisposable
{
    public const string Cli = "/usr/bin/redis-cli";

    public const int NodeCount = 3;

    private const int Attempts = 5;

    private static readonly TimeSpan _startLimit = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan _readyLimit = TimeSpan.FromSeconds(30);

    private readonly Scratch _data = new();
    private readonly List<Node> _nodes = [];

    private RedisCluster()
    {
    }

    /// <summary>The nodes' client ports.</summary>
    public IReadOnlyList<int> Ports => [.. _nodes.Select(node => node.Port)];

    /// <summary>The <c>--ledger</c> value that names this cluster: its seed list.</summary>
    public string Uri => "redis://" + string.Join(',', Ports.Select(port => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}"))) + "/0";

    public static async Task<RedisCluster> StartAsync()
    {
        foreach (var program in new[] { RedisServer.Executable, Cli })
        {
            if (!File.Exists(program))
            {
                throw new InvalidOperationException($"{program} is missing: run eng/install-deps.sh (Debian packages redis-server, redis-tools)");
            }
        }
        var cluster = new RedisCluster();
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await cluster.StartNodesAsync();
                    break;
                }
                catch (PortTakenException) when (attempt < Attempts)
                {
                    await cluster.StopNodesAsync();
                }
            }
            await cluster.CreateAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    /// <summary>Runs <c>redis-cli -p PORT ARGS</c> against one node and returns what it printed.</summary>
    public static string Run(int port, params string[] arguments)
    {
        var (exit, output) = RunCli(["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), .. arguments]);
        return exit == 0 ? output : throw new InvalidOperationException($"redis-cli -p {port} {string.Join(' ', arguments)} exited {exit}:\n{output}");
    }

    public async ValueTask DisposeAsync()
    {
        await StopNodesAsync();
        _data.Dispose();
    }

    private async Task StartNodesAsync()
    {
        var taken = new HashSet<int>();
        for (var i = 0; i < NodeCount; i++)
        {
            var (port, bus) = (FreePort(taken), FreePort(taken));
            var node = new Node(port, Directory.CreateDirectory(_data.Path($"node-{port}")).FullName);
            _nodes.Add(node);
            node.Start(bus);
        }
        foreach (var node in _nodes)
        {
            await node.WaitUntilAnswersAsync();
        }
    }

    private async Task CreateAsync()
    {
        string[] seeds = [.. Ports.Select(port => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}"))];
        var (exit, output) = RunCli(["--cluster", "create", .. seeds, "--cluster-replicas", "0", "--cluster-yes"]);
        if (exit != 0)
        {
            throw new InvalidOperationException($"redis-cli --cluster create exited {exit}:\n{output}");
        }
        var clock = Stopwatch.StartNew();
        while (!Ports.All(IsReady))
        {
            if (clock.Elapsed > _readyLimit)
            {
                var info = string.Join("\n", Ports.Select(port => $"{port}: {Run(port, "cluster", "info").ReplaceLineEndings(" ")}"));
                throw new InvalidOperationException($"the cluster did not become ready within {_readyLimit.TotalSeconds}s:\n{info}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System);
        }
    }

    /// <summary>The node sees a healthy cluster: every slot served, every node known.</summary>
    private static bool IsReady(int port)
    {
        var info = Run(port, "cluster", "info");
        return info.Contains("cluster_state:ok", StringComparison.Ordinal)
            && info.Contains("cluster_slots_assigned:16384", StringComparison.Ordinal)
            && info.Contains("cluster_slots_ok:16384", StringComparison.Ordinal)
            && info.Contains(string.Create(CultureInfo.InvariantCulture, $"cluster_known_nodes:{NodeCount}"), StringComparison.Ordinal);
    }

    private async Task StopNodesAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
        _nodes.Clear();
    }

    private static int FreePort(HashSet<int> taken)
    {
        while (true)
        {
            var port = BudgetRun.Testing.Ports.FreeLoopback();
            if (taken.Add(port))
            {
                return port;
            }
        }
    }

    private static (int Exit, string Output) RunCli(string[] arguments)
    {
        using var process = Process.Start(ProcessStart.Info(Cli, arguments, redirectStdin: false))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill();
            process.WaitForExit();
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>A node that could not bind its port (or its bus port): try the cluster again on other ports.</summary>
    private sealed class PortTakenException(string message) : Exception(message);

    private sealed class Node(int port, string directory) : IAsyncDisposable
    {
        private RedisProcess? _process;

        public int Port { get; } = port;

        public void Start(int busPort)
        {
            var (client, bus) = (Port.ToString(CultureInfo.InvariantCulture), busPort.ToString(CultureInfo.InvariantCulture));
            _process = RedisProcess.Start(
            [
                "--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(directory, $"nodes-{client}.conf"),
                "--cluster-port", bus, "--port", client, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", directory, "--daemonize", "no", "--loglevel", "warning",
            ]);
        }

        public async Task WaitUntilAnswersAsync()
        {
            try
            {
                await _process!.WaitUntilAnswersAsync(Port, "cluster node redis-server");
            }
            catch (InvalidOperationException ex) when (_process!.Output.Contains("Address already in use", StringComparison.Ordinal))
            {
                throw new PortTakenException(ex.Message);
            }
        }

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
