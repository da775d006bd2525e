using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BudgetRun.Ledgers.Tests.Infrastructure;

/// <summary>
/// A real redis-server on a free loopback port, owned by the test that started it: stopped (and
/// its data directory deleted) on dispose. Can be killed, restarted on the same port, paused and
/// resumed, to test what the ledger does when Redis goes away.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    public const string Executable = "/usr/bin/redis-server";

    private readonly string[] _extraArguments;
    private readonly TempDirectory _data = new();
    private Process? _process;

    private RedisServer(int port, string[] extraArguments)
    {
        Port = port;
        _extraArguments = extraArguments;
    }

    public int Port { get; }

    public string Uri => string.Create(CultureInfo.InvariantCulture, $"redis://127.0.0.1:{Port}/0");

    public int Pid => _process?.Id ?? 0;

    /// <summary>Starts a server; <paramref name="persistent"/> keeps its data across a restart (append-only file, fsync always).</summary>
    public static async Task<RedisServer> StartAsync(bool persistent = false, params string[] extraArguments)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: run eng/install-deps.sh (Debian package redis-server)");
        }
        string[] persistence = persistent ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
        var server = new RedisServer(FreePort(), [.. persistence, .. extraArguments]);
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>SIGKILL: the server vanishes mid-conversation, as in a crash.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
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
            Signal("-CONT");
            process.Kill();
            await process.WaitForExitAsync();
            process.Dispose();
            _process = null;
        }
        _data.Dispose();
    }

    private async Task StartProcessAsync()
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] arguments =
        [
            "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "",
            "--dir", _data.Path, "--daemonize", "no", "--loglevel", "warning", .. _extraArguments,
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        var output = new StringBuilder();
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var deadline = Stopwatch.StartNew();
        while (!await AnswersPingAsync())
        {
            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(10))
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

    private async Task<bool> AnswersPingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[64];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            var read = await stream.ReadAsync(buffer, timeout.Token);
            // A password-protected server answers -NOAUTH: it is up all the same.
            return read > 0 && (buffer[0] == (byte)'+' || buffer[0] == (byte)'-');
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
