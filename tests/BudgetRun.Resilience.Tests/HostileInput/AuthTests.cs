using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using BudgetRun.Resilience.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Resilience.Tests.HostileInput;

/// <summary>
/// Auth: neither the control token nor the child's token appears in any line budget-run writes
/// (text or JSON logs), on stdout, in the report, the answers or the ledger file; the child never
/// gets the control token; the child's token is refused on /kill; a non-loopback bind without a
/// control token is refused before anything starts. (The constant-time comparison is
/// <c>CryptographicOperations.FixedTimeEquals</c> over fixed 4 KiB buffers in Tokens.Matches: a
/// timing test over loopback HTTP would measure the scheduler, not the comparison.)
/// </summary>
public sealed class AuthTests(ITestOutputHelper output) : ResilienceTest
{
    /// <summary>Writes the child's environment to $0, fails the first attempt, sleeps in the next.</summary>
    private const string AttemptScript = """
        env > "$0.tmp" && mv "$0.tmp" "$0"
        [ -e "$0.failed" ] && exec sleep 600
        : > "$0.failed"
        exit 1
        """;

    [Theory]
    [InlineData("text", "file")]
    [InlineData("json", "environment")]
    public async Task FullRun_NeverShowsEitherToken_AnywhereItWrites(string logFormat, string tokenSource)
    {
        var report = Scratch.Path("report.json");
        var ledger = Scratch.Path("ledger.db");
        var envFile = Scratch.Path("child.env");
        var environment = new Dictionary<string, string?>();
        string[] token = [];
        if (tokenSource == "file")
        {
            token = ["--control-token-file", TokenFile()];
        }
        else
        {
            environment["BUDGET_RUN_CONTROL_TOKEN"] = ControlToken;
        }
        using var run = Launch(["--listen", "127.0.0.1:0", .. token, "--log-format", logFormat, "--report", report, "--name", "secrets",
            "--ledger", "sqlite:" + ledger, "--budget-key", "auth/secrets", "--max-cost-cents", "1000", "--cost-per-attempt-cents", "10",
            "--max-attempts", "3", "--base-delay", "100ms", "--kill-grace", "300ms",
            "--", "sh", "-c", AttemptScript, envFile], environment);
        // The first attempt fails and is retried, so the log has attempt, retry and ledger lines;
        // the second runs until the kill.
        using var client = await ControlPlaneClient.ConnectAsync(run);
        await Wait.UntilAsync(() => run.StderrSoFar.Contains("attempt 2 of 3 started", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
            "the second attempt started", run);
        var childEnvironment = File.ReadAllLines(envFile);
        var childToken = childEnvironment.Single(line => line.StartsWith("BUDGET_RUN_TOKEN=", StringComparison.Ordinal))["BUDGET_RUN_TOKEN=".Length..];

        var answers = new List<ControlAnswer>
        {
            await client.PostAsync("/cost", "{\"cents\": 5}", childToken),
            await client.PostAsync("/cost", "{\"cents\": 6}", ControlToken),
            await client.PostAsync("/kill", "{\"reason\": \"child tries\"}", childToken),
            await client.PostAsync("/cost", "{\"cents\": 1, \"token\": \"" + ControlToken + "\"}", childToken),
            await client.SendAsync(HttpMethod.Get, "/" + ControlToken, null, "Bearer " + ControlToken),
            await client.GetAsync("/status"),
            await client.GetAsync("/metrics"),
        };
        var statusBeforeKill = await StatusSnapshot.TakeAsync(client);
        answers.Add(await client.PostAsync("/kill", "{\"reason\": \"auth test\"}", ControlToken));
        var result = await run.WaitAsync();

        Assert.Equal(HttpStatusCode.OK, answers[0].Status); // the child's token pays...
        Assert.Equal(HttpStatusCode.OK, answers[1].Status);
        Assert.Equal(HttpStatusCode.Unauthorized, answers[2].Status); // ...but does not kill
        Assert.False(statusBeforeKill.KillSwitch, "the child's token engaged the kill switch");
        Assert.Equal(HttpStatusCode.Accepted, answers[^1].Status);
        result.AssertExitCode(77).AssertNoStackTrace();

        var places = new List<(string Where, string Text)>
        {
            ("stdout", result.StdoutText),
            ("the report", File.ReadAllText(report)),
            ("the ledger file", Encoding.Latin1.GetString(File.ReadAllBytes(ledger))),
        };
        places.AddRange(result.StderrLines.Select((line, i) => ($"log line {i + 1}", line)));
        places.AddRange(answers.Select(answer => ($"the answer to {answer.Method} {answer.Path[..Math.Min(answer.Path.Length, 10)]}", answer.Body)));
        foreach (var (secret, name) in new[] { (ControlToken, "the control token"), (childToken, "the child's token") })
        {
            foreach (var (where, text) in places)
            {
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{name} is in {where}: {text}");
            }
        }
        Assert.DoesNotContain(childEnvironment, line => line.Contains(ControlToken, StringComparison.Ordinal));
        Assert.DoesNotContain(childEnvironment, line => line.StartsWith("BUDGET_RUN_CONTROL_TOKEN=", StringComparison.Ordinal));
        output.WriteLine($"{logFormat} log, token from the {tokenSource}: {result.StderrLines.Length} log lines, {places.Count} places checked for 2 tokens");
    }

    public static TheoryData<string, string> NonLoopback
    {
        get
        {
            var data = new TheoryData<string, string> { { "--listen", "0.0.0.0:0" }, { "--listen", "[::]:0" }, { "BUDGET_RUN_LISTEN", "0.0.0.0:9464" } };
            if (HostAddress() is { } address)
            {
                data.Add("--listen", address + ":0");
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(NonLoopback))]
    public async Task NonLoopbackBind_WithoutAControlToken_IsRefused_Exit2_NothingStarted(string source, string address)
    {
        var command = Child("--count", Scratch.Path("started"), "exit", "0");
        var result = source == "--listen"
            ? await RunToEndAsync(["--listen", address, "--", .. command])
            : await RunToEndAsync(["--", .. command], new Dictionary<string, string?> { ["BUDGET_RUN_LISTEN"] = address });

        result.AssertExitCode(2);
        var line = result.AssertOneStderrLine();
        Assert.Contains(source, line, StringComparison.Ordinal);
        Assert.Contains("loopback", line, StringComparison.Ordinal);
        Assert.Equal(0, Scratch.Count("started"));
    }

    /// <summary>An IPv4 address of this machine that is not loopback, if it has one.</summary>
    private static string? HostAddress() => NetworkInterface.GetAllNetworkInterfaces()
        .Where(nic => nic.OperationalStatus == OperationalStatus.Up)
        .SelectMany(nic => nic.GetIPProperties().UnicastAddresses)
        .Select(unicast => unicast.Address)
        .FirstOrDefault(ip => ip.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(ip))?.ToString();
}
