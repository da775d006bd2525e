using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BudgetRun.Cli.Tests.Infrastructure;

/// <summary>
/// A real redis-server (the Debian package) on a free loopback port, without persistence
/// (<c>--save '' --appendonly no</c>), owned by whoever started it: killed, and its directory
/// deleted, on dispose. <see cref="Kill"/> makes it vanish mid-run, as a crashed server does.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    public const string Executable = "/usr/bin/redis-server";

    private static readonly TimeSpan _startLimit = TimeSpan.FromSeconds(10);

    private readonly string _directory;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private RedisServer(int port)
    {
        Port = port;
        _directory = Directory.CreateDirectory(
            Path.Combine(Path.GetTempPath(), "budget-run-tests", "redis-" + Guid.NewGuid().ToString("N"))).FullName;
    }

    public int Port { get; }

    /// <summary>The <c>--ledger</c> value that names this server.</summary>
    public string Uri => string.Create(CultureInfo.InvariantCulture, $"redis://127.0.0.1:{Port}/0");

    public bool IsRunning => _process is { HasExited: false };

    public static async Task<RedisServer> StartAsync()
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: run eng/install-deps.sh (Debian package redis-server)");
        }
        var server = new RedisServer(FreePort());
        try
        {
            await server.StartProcessAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>A loopback port that was free a moment ago (bound to port 0, then released).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>SIGKILL: the server is gone at once, its connections reset.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }
            process.Dispose();
            _process = null;
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Under the temp folder; nothing else uses it.
        }
    }

    private async Task StartProcessAsync()
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", _directory, "--daemonize", "no", "--loglevel", "warning",
        })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start)!;
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var clock = Stopwatch.StartNew();
        while (!await AnswersPingAsync())
        {
            if (process.HasExited || clock.Elapsed > _startLimit)
            {
                string log;
                lock (_output)
                {
                    log = _output.ToString();
                }
                throw new InvalidOperationException($"redis-server did not start on port {Port}:\n{log}");
            }
            await Task.Delay(20);
        }
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private async Task<bool> AnswersPingAsync()
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return read > 0 && buffer[0] == (byte)'+';
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }
}
