using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BudgetRun.Resilience.Tests.Infrastructure;

/// <summary>The first line of an answer read off a raw socket: the status code, when there was one.</summary>
internal sealed record RawAnswer(int? Status, string StatusLine, bool Reset, bool HalfClosed = false);

/// <summary>
/// HTTP/1.1 as bytes on a socket, so that a test can send what no HTTP client would: broken request
/// lines, invalid header bytes, lying Content-Lengths, invalid UTF-8.
/// </summary>
internal static class RawHttp
{
    /// <summary>
    /// Connects to 127.0.0.1:<paramref name="port"/>, writes <paramref name="request"/> and reads the
    /// answer's status line (the rest does not matter, and a server that answered early may wait for
    /// the rest of a body that is never coming before it closes). A request that gets no answer within <paramref name="patience"/>
    /// is incomplete (a Content-Length longer than the body, a chunked body without its last chunk):
    /// the sending side is then closed, so the server sees the end of it instead of waiting for more.
    /// </summary>
    public static async Task<RawAnswer> SendAsync(int port, ReadOnlyMemory<byte> request, TimeSpan patience)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var received = new MemoryStream();
        var reset = false;
        var halfClosed = false;
        try
        {
            using (var connect = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), connect.Token);
            }
            try
            {
                await socket.SendAsync(request, SocketFlags.None);
            }
            catch (SocketException)
            {
                // The server may answer and close before it has read everything (431, 414): read that answer.
            }
            var buffer = new byte[4096];
            using var overall = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (Array.IndexOf(received.GetBuffer(), (byte)'\n', 0, (int)received.Length) < 0)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(overall.Token);
                if (!halfClosed && received.Length == 0)
                {
                    wait.CancelAfter(patience);
                }
                int read;
                try
                {
                    read = await socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token);
                }
                catch (OperationCanceledException) when (!halfClosed && !overall.IsCancellationRequested)
                {
                    halfClosed = true;
                    socket.Shutdown(SocketShutdown.Send);
                    continue;
                }
                if (read == 0)
                {
                    break;
                }
                received.Write(buffer, 0, read);
            }
        }
        catch (SocketException)
        {
            reset = true;
        }
        catch (OperationCanceledException)
        {
            // No (complete) answer within the limit: report what arrived.
        }
        return Parse(received.ToArray(), reset) with { HalfClosed = halfClosed };
    }

    /// <summary>A well-formed request with a Content-Length, for the tests that need one.</summary>
    public static byte[] Request(string method, string path, string? authorization = null, byte[]? body = null,
        string contentType = "application/json", IEnumerable<string>? extraHeaders = null)
    {
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        if (authorization is not null)
        {
            head.Append(CultureInfo.InvariantCulture, $"Authorization: {authorization}\r\n");
        }
        foreach (var header in extraHeaders ?? [])
        {
            head.Append(header).Append("\r\n");
        }
        if (body is not null)
        {
            head.Append(CultureInfo.InvariantCulture, $"Content-Type: {contentType}\r\nContent-Length: {body.Length}\r\n");
        }
        head.Append("\r\n");
        return [.. Encoding.ASCII.GetBytes(head.ToString()), .. body ?? []];
    }

    private static RawAnswer Parse(byte[] bytes, bool reset)
    {
        var end = Array.IndexOf(bytes, (byte)'\r');
        var line = Encoding.ASCII.GetString(bytes, 0, end < 0 ? Math.Min(bytes.Length, 200) : end);
        int? status = line.StartsWith("HTTP/1.", StringComparison.Ordinal) && line.Length >= 12
            && int.TryParse(line.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var code)
            ? code
            : null;
        return new RawAnswer(status, line, reset);
    }
}
