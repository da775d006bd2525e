using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using BudgetRun.Resilience.Tests.Infrastructure;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace BudgetRun.Resilience.Tests.HostileInput;

/// <summary>
/// Kestrel's limits on the control plane (README: 16 KiB of headers, 50 headers, 8 KiB request
/// line, request headers within 5 s; the endpoints read at most 64 KiB of body): oversized requests
/// are refused with the right status and change nothing, even with the valid token, and clients
/// that trickle bytes are cut off while everybody else is still served.
/// </summary>
[Collection(TimingCollection.Name)]
public sealed class HttpLimitsTests(ITestOutputHelper output) : ResilienceTest
{
    [Fact]
    public async Task OversizedRequests_AreRefused_WithTheRightStatus_AndChangeNothing_EvenWithTheToken()
    {
        using var run = Launch(["--listen", "127.0.0.1:0", "--control-token-file", TokenFile(), "--max-cost-cents", "1000",
            "--cost-per-attempt-cents", "10", "--max-attempts", "1", "--kill-grace", "200ms",
            "--", .. Child("--pid-file", Scratch.Path("child.pid"), "sleep", "600000")]);
        using var client = await ControlPlaneClient.ConnectAsync(run);
        await Wait.ForPidAsync(Scratch.Path("child.pid"), run);
        var port = client.BaseUrl.Port;
        var before = await StatusSnapshot.TakeAsync(client);
        var bearer = "Bearer " + ControlToken;
        var reason = Encoding.ASCII.GetBytes("{\"reason\": \"" + new string('r', 70 * 1024) + "\"}");
        var cents = Encoding.ASCII.GetBytes("{\"cents\": 5" + new string(' ', 64 * 1024) + "}");

        var answers = new (string What, int[] Expected, RawAnswer Answer)[]
        {
            ("a 17 KiB header on /status", [431], await SendAsync(port, RawHttp.Request("GET", "/status", extraHeaders: [$"X-Big: {new string('b', 17 * 1024)}"]))),
            ("a 17 KiB header on POST /kill with the token", [431], await SendAsync(port, RawHttp.Request("POST", "/kill", bearer, "{}"u8.ToArray(), extraHeaders: [$"X-Big: {new string('b', 17 * 1024)}"]))),
            ("60 headers on POST /cost with the token", [431], await SendAsync(port, RawHttp.Request("POST", "/cost", bearer, "{\"cents\": 5}"u8.ToArray(), extraHeaders: Enumerable.Range(0, 60).Select(i => $"X-Many-{i}: x")))),
            ("a 9 KiB request line", [414], await SendAsync(port, RawHttp.Request("GET", "/status?" + new string('q', 9 * 1024)))),
            ("a 70 KiB kill reason with the token", [400, 413], await SendAsync(port, RawHttp.Request("POST", "/kill", bearer, reason))),
            ("64 KiB + 2 of cost body with the token", [400, 413], await SendAsync(port, RawHttp.Request("POST", "/cost", bearer, cents))),
            ("a 2 MiB cost body with the token", [400, 413], await SendAsync(port, RawHttp.Request("POST", "/cost", bearer, new byte[2 << 20]))),
            ("a 2 MiB chunked cost body with the token", [400, 413], await SendAsync(port, ChunkedRequest("/cost", bearer, 2 << 20))),
        };

        foreach (var (what, expected, answer) in answers)
        {
            output.WriteLine($"{what}: {answer.StatusLine}");
            Assert.True(answer.Status is { } status && expected.Contains(status), $"{what}: expected {string.Join(" or ", expected)}, got '{answer.StatusLine}'");
        }
        Assert.Equal(before, await StatusSnapshot.TakeAsync(client));
        (await client.GetAsync("/healthz")).AssertStatus(HttpStatusCode.OK);
        Assert.False(run.HasExited);
    }

    [Fact]
    public async Task ClientsTricklingBytes_AreCutOffByKestrelsTimeouts_WhileOthersAreStillServed()
    {
        using var run = Launch(["--listen", "127.0.0.1:0", "--control-token-file", TokenFile(), "--max-cost-cents", "1000",
            "--max-attempts", "1", "--kill-grace", "200ms", "--", .. Child("--pid-file", Scratch.Path("child.pid"), "sleep", "600000")]);
        using var client = await ControlPlaneClient.ConnectAsync(run);
        await Wait.ForPidAsync(Scratch.Path("child.pid"), run);
        var port = client.BaseUrl.Port;
        var before = await StatusSnapshot.TakeAsync(client);

        // Ten clients send a request head one byte a second (never finishing it); one sends a valid
        // POST /cost whose 1 KiB body comes one byte a second (under Kestrel's 240 bytes/s minimum).
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var headTricklers = Enumerable.Range(0, 10)
            .Select(_ => TrickleAsync(port, Encoding.ASCII.GetBytes("GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + new string('s', 100)), 0, stop.Token))
            .ToList();
        var head = Encoding.ASCII.GetBytes($"POST /cost HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ControlToken}\r\nContent-Type: application/json\r\nContent-Length: 1024\r\n\r\n");
        var bodyTrickler = TrickleAsync(port, [.. head, .. Encoding.ASCII.GetBytes("{\"cents\": 5" + new string(' ', 1024 - 12) + "}")], head.Length, stop.Token);

        // Meanwhile a normal client is served, fast, every 200 ms.
        var slowest = TimeSpan.Zero;
        var served = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(12) && !(headTricklers.All(t => t.IsCompleted) && bodyTrickler.IsCompleted))
        {
            var asked = Stopwatch.StartNew();
            (await client.GetAsync("/healthz")).AssertStatus(HttpStatusCode.OK);
            slowest = asked.Elapsed > slowest ? asked.Elapsed : slowest;
            served++;
            await Task.Delay(200);
        }
        var cutOff = await Task.WhenAll(headTricklers);
        var bodyCutOff = await bodyTrickler;

        output.WriteLine($"head tricklers cut off after {string.Join(", ", cutOff.Select(c => $"{c.After.TotalSeconds:0.0} s ({c.Bytes} bytes, '{c.Answer}')"))}");
        output.WriteLine($"body trickler cut off after {bodyCutOff.After.TotalSeconds:0.0} s ({bodyCutOff.Bytes} bytes, '{bodyCutOff.Answer}')");
        output.WriteLine($"meanwhile {served} requests of a normal client were served, the slowest in {slowest.TotalMilliseconds:0} ms");
        foreach (var trickler in cutOff)
        {
            Assert.True(trickler.After >= TimeSpan.FromSeconds(4) && trickler.After <= TimeSpan.FromSeconds(10),
                $"a client trickling its request head was cut off after {trickler.After.TotalSeconds:0.0} s, not at the 5 s headers timeout");
        }
        Assert.True(bodyCutOff.After <= TimeSpan.FromSeconds(12), $"the body trickler was cut off after {bodyCutOff.After.TotalSeconds:0.0} s");
        Assert.True(slowest < TimeSpan.FromSeconds(1), $"a normal request took {slowest.TotalMilliseconds:0} ms while clients trickled");
        Assert.Equal(before, await StatusSnapshot.TakeAsync(client)); // the trickled cost was never recorded
    }

    private static Task<RawAnswer> SendAsync(int port, byte[] request) => RawHttp.SendAsync(port, request, TimeSpan.FromSeconds(2));

    private static byte[] ChunkedRequest(string path, string authorization, int bytes)
    {
        var head = Encoding.ASCII.GetBytes($"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: {authorization}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
        var body = new MemoryStream();
        var chunk = new byte[16 * 1024];
        for (var sent = 0; sent < bytes; sent += chunk.Length)
        {
            body.Write(Encoding.ASCII.GetBytes(chunk.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"));
            body.Write(chunk);
            body.Write("\r\n"u8);
        }
        body.Write("0\r\n\r\n"u8);
        return [.. head, .. body.ToArray()];
    }

    /// <summary>
    /// Sends the first <paramref name="atOnce"/> bytes at once, then one byte a second, until the
    /// server closes the connection (or answers); returns when that happened and what it said.
    /// </summary>
    private static async Task<(TimeSpan After, int Bytes, string Answer)> TrickleAsync(int port, byte[] request, int atOnce, CancellationToken stop)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), stop);
        var clock = Stopwatch.StartNew();
        var buffer = new byte[1024];
        var receive = socket.ReceiveAsync(buffer, SocketFlags.None, stop).AsTask();
        var sent = 0;
        try
        {
            if (atOnce > 0)
            {
                sent += await socket.SendAsync(request.AsMemory(0, atOnce), SocketFlags.None, stop);
            }
            while (sent < request.Length)
            {
                if (await Task.WhenAny(receive, Task.Delay(1000, stop)) == receive)
                {
                    break;
                }
                sent += await socket.SendAsync(request.AsMemory(sent, 1), SocketFlags.None, stop);
            }
            var read = await receive;
            var answer = read == 0 ? "closed" : Encoding.ASCII.GetString(buffer, 0, read).Split('\r')[0];
            return (clock.Elapsed, sent, answer);
        }
        catch (SocketException ex)
        {
            return (clock.Elapsed, sent, ex.SocketErrorCode.ToString());
        }
        catch (OperationCanceledException)
        {
            throw new XunitException($"a trickling client was still connected after {clock.Elapsed.TotalSeconds:0.0} s ({sent} bytes sent)");
        }
    }
}
