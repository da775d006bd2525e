using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BudgetRun.Testing;

/// <summary>
/// A real redis-server (the Debian package) on a free loopback port, owned by the test that
/// started it: killed, and its data directory deleted, on dispose. Without persistence
/// (<c>--save '' --appendonly no</c>) unless asked for. It can be killed (it vanishes mid-run, as a
/// crashed server does), restarted on the same port, paused and resumed, to test what budget-run
/// and the ledgers do when Redis goes away. <see cref="StartTlsAsync"/> makes one that speaks only
/// TLS (<c>rediss://</c>), with a certificate signed by a CA made for it.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    public const string Executable = "/usr/bin/redis-server";

    private static readonly TimeSpan _startLimit = TimeSpan.FromSeconds(10);

    private readonly string[] _extraArguments;
    private readonly Scratch _data = new();
    private readonly bool _tls;
    private Process? _process;

    private RedisServer(int port, string[] extraArguments, bool tls = false)
    {
        Port = port;
        _extraArguments = extraArguments;
        _tls = tls;
    }

    public int Port { get; }

    /// <summary>The <c>--ledger</c> value that names this server.</summary>
    public string Uri => string.Create(CultureInfo.InvariantCulture, $"{(_tls ? "rediss" : "redis")}://127.0.0.1:{Port}/0");

    /// <summary>A TLS server's CA certificate (PEM): what <c>SSL_CERT_FILE</c> names to trust it.</summary>
    public string CaFile => _tls ? _data.Path(TestCertificates.CaFile) : throw new InvalidOperationException("not a TLS server");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The server's pid; 0 once it has been killed.</summary>
    public int Pid => _process?.Id ?? 0;

    /// <summary>
    /// Starts a server; <paramref name="persistent"/> keeps its data across a restart (append-only
    /// file, fsync always); <paramref name="extraArguments"/> are added to its command line.
    /// </summary>
    public static async Task<RedisServer> StartAsync(bool persistent = false, params string[] extraArguments)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: run eng/install-deps.sh (Debian package redis-server)");
        }
        string[] persistence = persistent ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
        return await LaunchAsync(new RedisServer(Ports.FreeLoopback(), [.. persistence, .. extraArguments]));
    }

    /// <summary>A server that speaks only TLS on <see cref="Port"/>, for 127.0.0.1 and localhost, trusted by nothing but <see cref="CaFile"/>.</summary>
    public static Task<RedisServer> StartTlsAsync() =>
        LaunchAsync(new RedisServer(Ports.FreeLoopback(), ["--appendonly", "no"], tls: true));

    /// <summary>Starts <paramref name="server"/> (with its certificates first when it speaks TLS); cleans it up if it cannot start.</summary>
    private static async Task<RedisServer> LaunchAsync(RedisServer server)
    {
        try
        {
            if (server._tls)
            {
                TestCertificates.WriteServerCertificate(server._data.Directory);
            }
            await server.StartProcessAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>SIGKILL: the server vanishes mid-conversation, its connections reset, as in a crash.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit();
        }
        _process?.Dispose();
        _process = null;
    }

    /// <summary>Starts it again on the same port (and data directory).</summary>
    public Task RestartAsync()
    {
        Kill();
        return StartProcessAsync();
    }

    /// <summary>SIGSTOP: connections stay open but nothing is answered.</summary>
    public void Pause() => Signal("-STOP");

    /// <summary>SIGCONT: it answers again, and runs what was sent while it was paused.</summary>
    public void Continue() => Signal("-CONT");

    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                Signal("-CONT");
                process.Kill();
                await process.WaitForExitAsync();
            }
            process.Dispose();
            _process = null;
        }
        _data.Dispose();
    }

    private async Task StartProcessAsync()
    {
        var port = Port.ToString(CultureInfo.InvariantCulture);
        string[] listen = _tls
            ?
            [
                "--port", "0", "--tls-port", port, "--tls-cert-file", _data.Path(TestCertificates.ServerCertificateFile),
                "--tls-key-file", _data.Path(TestCertificates.ServerKeyFile), "--tls-ca-cert-file", _data.Path(TestCertificates.CaFile),
                "--tls-auth-clients", "no",
            ]
            : ["--port", port];
        string[] arguments =
        [
            .. listen, "--bind", "127.0.0.1", "--save", "",
            "--dir", _data.Directory, "--daemonize", "no", "--loglevel", "warning", .. _extraArguments,
        ];
        var output = new StringBuilder();
        var process = Process.Start(ProcessStart.Info(Executable, arguments, redirectStdin: false))!;
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var clock = Stopwatch.StartNew();
        while (!await (_tls ? ListensAsync() : RedisProcess.AnswersPingAsync(Port)))
        {
            if (process.HasExited || clock.Elapsed > _startLimit)
            {
                string log;
                lock (output)
                {
                    log = output.ToString();
                }
                throw new InvalidOperationException($"redis-server did not start on port {Port}:\n{log}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System);
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        lock (output)
        {
            output.AppendLine(line);
        }
    }

    /// <summary>A TLS server cannot be pinged in plain text: that it accepts connections is enough.</summary>
    private async Task<bool> ListensAsync()
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    private void Signal(string signal)
    {
        if (_process is { HasExited: false } process)
        {
            Shell.Run("kill", signal, process.Id.ToString(CultureInfo.InvariantCulture));
        }
    }
}
