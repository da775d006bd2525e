using System.Net;
using System.Net.Sockets;

namespace BudgetRun.Cli.Tests.ControlPlane;

/// <summary><c>--listen</c> and <c>BUDGET_RUN_LISTEN</c>: where the control plane binds, and what is refused before anything starts.</summary>
public sealed class ListenFlagTests : ControlPlaneTest
{
    [Theory]
    [InlineData("abc")]
    [InlineData("1.2.3.4")]
    [InlineData("127.0.0.1:99999")]
    [InlineData("99999")]
    [InlineData("127.0.0.1:")]
    [InlineData(":8080")]
    [InlineData("127.0.0.1:-1")]
    [InlineData("127.0.0.1:0x10")]
    [InlineData("localhost")]
    [InlineData("[::1]")]
    public async Task BadListenValue_IsUsageError_OneLine_NothingStarted(string value)
    {
        var result = await RunCleanAsync(["--listen", value, "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        AssertUsageError(result, "--listen");
    }

    [Fact]
    public async Task BadListenValueFromTheEnvironment_IsUsageError_NamingTheVariable()
    {
        var result = await RunCleanAsync(["--", .. Child("--count", Scratch.Path("started"), "exit", "0")],
            new Dictionary<string, string?> { ["BUDGET_RUN_LISTEN"] = "abc" });

        AssertUsageError(result, "BUDGET_RUN_LISTEN");
    }

    [Theory]
    [InlineData("--listen")]
    [InlineData("BUDGET_RUN_LISTEN")]
    public async Task NonLoopbackListen_WithoutAToken_IsUsageError_NothingStarted(string source)
    {
        var command = Child("--count", Scratch.Path("started"), "exit", "0");
        var result = source == "--listen"
            ? await RunCleanAsync(["--listen", "0.0.0.0:0", "--", .. command])
            : await RunCleanAsync(["--", .. command], new Dictionary<string, string?> { ["BUDGET_RUN_LISTEN"] = "0.0.0.0:0" });

        AssertUsageError(result, source);
        Assert.Contains("loopback", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonLoopbackListen_WithATokenFile_Binds_AndTheTokenEngagesTheKillSwitch()
    {
        using var run = Start(["--listen", "0.0.0.0:0", "--control-token-file", TokenFile(), "--max-attempts", "1",
            "--", .. Child("--pid-file", Scratch.Path("child.pid"), "sleep", "600000")]);
        var url = await Wait.ForControlPlaneAsync(run);
        using var client = new ControlPlaneClient(new Uri($"http://127.0.0.1:{url.Port}"));
        await Wait.ForPidAsync(Scratch.Path("child.pid"), run);

        var health = await client.GetAsync("/healthz");
        var kill = await client.PostAsync("/kill", null, ControlToken);
        var result = await run.WaitAsync();

        Assert.Equal("0.0.0.0", url.Host);
        health.AssertStatus(HttpStatusCode.OK);
        kill.AssertStatus(HttpStatusCode.Accepted);
        result.AssertExitCode(77);
    }

    [Fact]
    public async Task NonLoopbackListenFromTheEnvironment_WithTheTokenFromTheEnvironment_Binds()
    {
        using var run = Start(["--max-attempts", "1", "--", .. Child("sleep", "600000")],
            new Dictionary<string, string?> { ["BUDGET_RUN_LISTEN"] = "0.0.0.0:0", ["BUDGET_RUN_CONTROL_TOKEN"] = ControlToken });
        var url = await Wait.ForControlPlaneAsync(run);
        using var client = new ControlPlaneClient(new Uri($"http://127.0.0.1:{url.Port}"));

        var kill = await client.PostAsync("/kill", null, ControlToken);
        var result = await run.WaitAsync();

        kill.AssertStatus(HttpStatusCode.Accepted);
        result.AssertExitCode(77);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("localhost:0")]
    public async Task ListenFromTheEnvironment_ServesOnLoopback(string value)
    {
        using var run = Start(["--max-attempts", "1", "--", .. Child("sleep", "600000")],
            new Dictionary<string, string?> { ["BUDGET_RUN_LISTEN"] = value });
        using var client = await ControlPlaneClient.ConnectAsync(run);

        var health = await client.GetAsync("/healthz");

        Assert.Equal("127.0.0.1", client.BaseUrl.Host);
        Assert.NotEqual(0, client.BaseUrl.Port);
        health.AssertStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Listen_OnTheIPv6Loopback_Serves()
    {
        using var run = Start(["--listen", "[::1]:0", "--max-attempts", "1", "--", .. Child("sleep", "600000")]);
        using var client = await ControlPlaneClient.ConnectAsync(run);

        var health = await client.GetAsync("/healthz");

        Assert.Equal("[::1]", client.BaseUrl.Host);
        health.AssertStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ListenFlag_WinsOverTheEnvironment()
    {
        using var run = Start(["--listen", "127.0.0.1:0", "--max-attempts", "1", "--", .. Child("sleep", "600000")],
            new Dictionary<string, string?> { ["BUDGET_RUN_LISTEN"] = "abc" });
        using var client = await ControlPlaneClient.ConnectAsync(run);

        (await client.GetAsync("/healthz")).AssertStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Listen_OnAPortInUse_IsOneClearLine_NotAStackTrace_NothingStarted()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var result = await RunCleanAsync(["--listen", $"127.0.0.1:{port}", "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        Assert.False(File.Exists(Scratch.Path("started")), $"the command was started without a control plane\n{result}");
        result.AssertNoStackTrace();
        AssertUsageError(result, "--listen");
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.255.255.1:0")]   // a private address this host does not have
    [InlineData("192.0.2.7:9464")]   // TEST-NET-1: never assigned to a host
    [InlineData("[2001:db8::1]:0")]  // IPv6 documentation prefix
    public async Task Listen_OnAnAddressNotOnThisHost_IsOneClearLine_NotExit70(string address)
    {
        // Nothing is sent anywhere: binding fails locally before a socket could listen.
        var result = await RunCleanAsync(["--listen", address, "--control-token-file", TokenFile(), "--",
            .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        result.AssertNoStackTrace();
        AssertUsageError(result, "--listen");
        Assert.Contains("cannot listen on", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_OnAnAddressNotOnThisHost_IsOneClearLine_NotExit70()
    {
        var result = await RunCleanAsync(["serve", "--listen", "10.255.255.1:0", "--control-token-file", TokenFile(),
            "--budget-key", "k", "--ledger", "sqlite:" + Scratch.Path("ledger.db")]);

        result.AssertNoStackTrace();
        result.AssertExitCode(2);
        Assert.Contains("--listen: cannot listen on 10.255.255.1:0", result.AssertOneStderrLine(), StringComparison.Ordinal);
        Assert.False(File.Exists(Scratch.Path("ledger.db")), "a serve that cannot listen created its ledger and account: half-started");
    }

    private void AssertUsageError(ProcessResult result, string named)
    {
        result.AssertExitCode(2);
        var line = result.AssertOneStderrLine();
        Assert.True(line.Contains(named, StringComparison.Ordinal), $"the error line does not name {named}: {line}");
        Assert.Empty(result.Stdout);
        Assert.False(File.Exists(Scratch.Path("started")), $"the command was started despite the usage error\n{result}");
    }
}
