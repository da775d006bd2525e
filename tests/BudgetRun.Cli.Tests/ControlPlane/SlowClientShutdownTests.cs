using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace BudgetRun.Cli.Tests.ControlPlane;

/// <summary>
/// A client that never finishes its request (a head announcing 100 bytes, then one byte) must not
/// hold budget-run's exit, nor its report, past a short bound: with Kubernetes' 30 s grace a slow
/// shutdown is a SIGKILL and a lost report. Open connections get 1 s, then they are dropped.
/// </summary>
public sealed class SlowClientShutdownTests : ControlPlaneTest
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5); // the 1 s drain plus a loaded machine; Kestrel's own wait was ~30 s

    [Theory]
    [InlineData("child ends")]
    [InlineData("SIGTERM")]
    public async Task HalfSentRequest_DoesNotHoldTheExit(string end)
    {
        var report = Scratch.Path("report.json");
        var release = Scratch.Path("release");
        using var run = Start([.. Loopback, "--report", report, "--max-attempts", "1", "--",
            .. Child("exit-when", release, "0")]);
        var url = await Wait.ForControlPlaneAsync(run);
        using var client = new TcpClient();
        await client.ConnectAsync(url.Host, url.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /cost HTTP/1.1\r\nHost: {url.Host}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"));
        await stream.FlushAsync();

        var clock = Stopwatch.StartNew();
        if (end == "SIGTERM")
        {
            run.Signal(Posix.SIGTERM);
        }
        else
        {
            await File.WriteAllTextAsync(release, "go");
        }
        var result = await run.WaitAsync();
        var took = clock.Elapsed;

        Assert.True(took < Bound, $"budget-run took {took.TotalSeconds:0.0} s to exit with a half-sent request open\n{result}");
        Assert.True(File.Exists(report), $"no report was written\n{result}");
        result.AssertNoStackTrace();
    }
}
