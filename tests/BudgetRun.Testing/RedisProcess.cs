using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BudgetRun.Testing;

/// <summary>
/// One redis-server process (a cluster node, a sentinel) that keeps what it writes, so that one
/// that does not start says why; killed on dispose. <see cref="AnswersPingAsync"/> is the readiness
/// probe every Redis the tests start uses.
/// </summary>
internal sealed class RedisProcess : IAsyncDisposable
{
    private static readonly TimeSpan _startLimit = TimeSpan.FromSeconds(10);

    private readonly StringBuilder _output = new();
    private readonly Process _process;

    private RedisProcess(IReadOnlyList<string> arguments)
    {
        _process = Process.Start(ProcessStart.Info(RedisServer.Executable, arguments, redirectStdin: false))!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>What it wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static RedisProcess Start(IReadOnlyList<string> arguments) => new(arguments);

    /// <summary>Waits until it answers PING on <paramref name="port"/>; throws with its output when it exits or takes over 10 s.</summary>
    public async Task WaitUntilAnswersAsync(int port, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await AnswersPingAsync(port))
        {
            if (_process.HasExited || clock.Elapsed > _startLimit)
            {
                throw new InvalidOperationException($"{what} did not start on port {port}:\n{Output}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System);
        }
    }

    /// <summary>Whether a Redis on <paramref name="port"/> answers PING; a password-protected one answers -NOAUTH, and is up all the same.</summary>
    public static async Task<bool> AnswersPingAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return read > 0 && (buffer[0] == (byte)'+' || buffer[0] == (byte)'-');
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
