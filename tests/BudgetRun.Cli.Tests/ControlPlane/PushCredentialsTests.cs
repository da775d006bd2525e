using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BudgetRun.Cli.Tests.ControlPlane;

/// <summary>
/// A Pushgateway URL with <c>user:password</c>: the password is sent as HTTP basic auth and shown
/// nowhere else (logs, errors, the child's environment). The gateway here is a socket of the test
/// that records the request heads and answers 200.
/// </summary>
public sealed class PushCredentialsTests : ControlPlaneTest
{
    private const string Password = "s3cret-Pw.42";

    [Fact]
    public async Task Push_WithCredentialsInTheUrl_SendsBasicAuth_AndLogsNoPassword()
    {
        using var gateway = new TcpListener(IPAddress.Loopback, 0);
        gateway.Start();
        var port = ((IPEndPoint)gateway.LocalEndpoint).Port;
        var heads = RecordHeadsAsync(gateway);

        var result = await RunCleanAsync(["--pushgateway", $"http://alice:{Password}@127.0.0.1:{port}/", "--max-attempts", "1", "--",
            .. EnvDumpingChild("exit", "0")]);
        gateway.Stop();
        var seen = await heads;

        result.AssertExitCode(0);
        var expected = "Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"alice:{Password}"));
        Assert.True(seen.Count > 0, $"no push reached the gateway\n{result}");
        Assert.All(seen, head => Assert.Contains(expected, head, StringComparison.Ordinal));
        Assert.DoesNotContain(Password, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, string.Join("\n", ReadEnvironment(EnvFile).Values), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailedPush_WithCredentialsInTheUrl_LogsTheUrlWithoutThem()
    {
        var closed = Ports.FreeLoopback(); // nothing listens: every push fails and is logged

        var result = await RunCleanAsync(["--pushgateway", $"http://alice:{Password}@127.0.0.1:{closed}/", "--max-attempts", "1", "--",
            .. Child("exit", "0")]);

        result.AssertExitCode(0);
        Assert.Contains($"pushing metrics to http://127.0.0.1:{closed}/", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("alice", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--pushgateway")]
    [InlineData("BUDGET_RUN_PUSHGATEWAY")]
    public async Task BadPushgatewayUrl_WithCredentials_IsAUsageErrorThatHidesThem(string source)
    {
        var url = $"ftp://alice:{Password}@127.0.0.1/";
        var result = source == "--pushgateway"
            ? await RunCleanAsync(["--pushgateway", url, "--", .. Child("exit", "0")])
            : await RunCleanAsync(["--", .. Child("exit", "0")], new Dictionary<string, string?> { [source] = url });

        result.AssertExitCode(2);
        var line = result.AssertOneStderrLine();
        Assert.Contains(source, line, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, line, StringComparison.Ordinal);
    }

    /// <summary>Reads each connection's request head, answers 200 with no body, until the listener stops.</summary>
    private static async Task<List<string>> RecordHeadsAsync(TcpListener listener)
    {
        var heads = new List<string>();
        try
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
                var stream = client.GetStream();
                var buffer = new byte[16 * 1024];
                var length = 0;
                while (length < buffer.Length)
                {
                    var read = await stream.ReadAsync(buffer.AsMemory(length));
                    if (read == 0)
                    {
                        break;
                    }
                    length += read;
                    var text = Encoding.ASCII.GetString(buffer, 0, length);
                    var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                    if (end >= 0 && BodyComplete(text, end))
                    {
                        break;
                    }
                }
                heads.Add(Encoding.ASCII.GetString(buffer, 0, length));
                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            return heads; // the test stopped the listener
        }
    }

    private static bool BodyComplete(string text, int headEnd)
    {
        var marker = "Content-Length: ";
        var at = text.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
        if (at < 0 || at > headEnd)
        {
            return true;
        }
        var lineEnd = text.IndexOf('\r', at);
        var length = int.Parse(text.AsSpan(at + marker.Length, lineEnd - at - marker.Length), System.Globalization.CultureInfo.InvariantCulture);
        return text.Length - (headEnd + 4) >= length;
    }
}
