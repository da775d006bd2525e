using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using BudgetRun.Resilience.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Resilience.Tests.Faults;

/// <summary>
/// Fault: the Redis ledger is killed, restarted and paused under a run's control plane and under
/// <c>serve</c>, while a client calls every endpoint. Promise: every endpoint that reads the ledger
/// answers a 503 problem naming it (never an empty 500), /metrics keeps answering 200 with the
/// ledger errors counted, every endpoint answers 200 again once Redis is back, and budget-run logs
/// no stack trace. One process per plane walks all its endpoints, to keep the suite quick.
/// </summary>
[Collection(TimingCollection.Name)]
public sealed partial class EndpointFaultTests(ITestOutputHelper output) : ResilienceTest
{
    /// <summary>How long Redis may take to answer again after a restart or SIGCONT (budget-run reconnects every 500 ms).</summary>
    private static readonly TimeSpan _backLimit = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task RunPlane_WhileItsChildRuns_RedisDownSlowAndBack_LedgerEndpointsAnswer503ProblemThen200()
    {
        await using var server = await RedisServer.StartAsync(persistent: true);
        var pidFile = Scratch.Path("child.pid");
        using var run = Launch(["--budget-key", NewKey(), "--ledger", server.Uri, "--max-cost-cents", "1000", "--cost-per-attempt-cents", "10",
            "--ledger-timeout", "1s", "--listen", "127.0.0.1:0", "--control-token-file", TokenFile(),
            "--", .. Child("--pid-file", pidFile, "sleep", "600000")], timeout: TimeSpan.FromSeconds(60));
        using var client = await ControlPlaneClient.ConnectAsync(run);
        await Wait.ForPidAsync(pidFile, run);
        var clock = Stopwatch.StartNew();
        await AssertRunAnswersAsync(client);

        server.Kill();
        await AssertRunLedgerFaultAsync(client, server, "killed");
        await server.RestartAsync();
        await UntilOkAsync(client, () => client.GetAsync("/status"), run, "/status after the restart");
        await AssertRunAnswersAsync(client);

        server.Pause();
        try
        {
            await AssertRunLedgerFaultAsync(client, server, "paused");
        }
        finally
        {
            server.Continue();
        }
        await UntilOkAsync(client, () => client.GetAsync("/status"), run, "/status after SIGCONT");
        await AssertRunAnswersAsync(client);

        // Last, since it stops the run even when the fleet's switch cannot be written.
        server.Kill();
        AssertLedgerUnavailable(await client.PostAsync("/kill", """{"scope":"fleet"}""", ControlToken), server);
        var result = await run.WaitAsync();

        output.WriteLine($"run plane walked in {clock.Elapsed.TotalSeconds:0.0} s\n{result.Stderr}");
        result.AssertExitCode(77).AssertNoStackTrace();
    }

    [Fact]
    public async Task RunPlane_BetweenAttempts_RedisDownAndBack_HealthzAnswers503ProblemThen200()
    {
        // While a child runs /healthz does not read the ledger (the attempt is paid for); between
        // attempts it does: that is where the empty 500 of the defect was.
        await using var server = await RedisServer.StartAsync(persistent: true);
        using var run = Launch(["--budget-key", NewKey(), "--ledger", server.Uri, "--max-cost-cents", "1000", "--max-attempts", "2",
            "--base-delay", "10m", "--max-delay", "10m", "--ledger-timeout", "1s", "--listen", "127.0.0.1:0", "--", .. Child("exit", "1")],
            timeout: TimeSpan.FromSeconds(40));
        using var client = await ControlPlaneClient.ConnectAsync(run);
        await Wait.UntilAsync(() => run.StderrSoFar.Contains("next attempt in", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
            "the first attempt failed and the backoff began", run);
        (await client.GetAsync("/healthz")).AssertStatus(HttpStatusCode.OK);

        server.Kill();
        AssertLedgerUnavailable(await client.GetAsync("/healthz"), server);
        await server.RestartAsync();
        await UntilOkAsync(client, () => client.GetAsync("/healthz"), run, "/healthz after the restart");
        server.Pause();
        try
        {
            AssertLedgerUnavailable(await client.GetAsync("/healthz"), server);
        }
        finally
        {
            server.Continue();
        }
        await UntilOkAsync(client, () => client.GetAsync("/healthz"), run, "/healthz after SIGCONT");
        run.Signal(Posix.SIGTERM);
        var result = await run.WaitAsync();

        output.WriteLine(result.Stderr);
        result.AssertNoStackTrace();
    }

    [Fact]
    public async Task Sidecar_RedisDownSlowAndBack_EveryEndpointAnswers503ProblemThen200_AndNoPasswordShows()
    {
        const string Password = "sidecar-redis-pw-9000";
        await using var server = await RedisServer.StartAsync(true, "--requirepass", Password);
        using var serve = Launch(["serve", "--listen", "127.0.0.1:0", "--budget-key", NewKey(), "--ledger", server.Uri,
            "--max-cost-cents", "100", "--ledger-timeout", "1s", "--control-token-file", TokenFile()],
            new Dictionary<string, string?> { ["BUDGET_RUN_REDIS_PASSWORD"] = Password }, timeout: TimeSpan.FromSeconds(60));
        using var client = await ConnectToServeAsync(serve);
        var clock = Stopwatch.StartNew();
        // A reservation per phase: a settle whose answer timed out may still land when Redis wakes,
        // so its id is never settled again (a second settle is a 409).
        var ids = new Queue<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Enqueue(await ReserveAsync(client));
        }
        var answers = new List<ControlAnswer>();
        await AssertSidecarAnswersAsync(client, ids.Dequeue(), answers);

        server.Kill();
        await AssertSidecarLedgerFaultAsync(client, server, ids.Dequeue(), answers);
        await server.RestartAsync();
        await UntilOkAsync(client, () => client.GetAsync("/status"), serve, "/status after the restart");
        await AssertSidecarAnswersAsync(client, ids.Dequeue(), answers);

        server.Pause();
        try
        {
            await AssertSidecarLedgerFaultAsync(client, server, ids.Dequeue(), answers);
        }
        catch
        {
            output.WriteLine($"--- serve ---\n{serve.StderrSoFar}");
            throw;
        }
        finally
        {
            server.Continue();
        }
        await UntilOkAsync(client, () => client.GetAsync("/status"), serve, "/status after SIGCONT");
        await AssertSidecarAnswersAsync(client, ids.Dequeue(), answers);
        serve.Signal(Posix.SIGTERM);
        var result = await serve.WaitAsync();

        output.WriteLine($"sidecar walked in {clock.Elapsed.TotalSeconds:0.0} s\n{result.Stderr}");
        result.AssertExitCode(0).AssertNoStackTrace();
        Assert.DoesNotContain(Password, result.Stderr, StringComparison.Ordinal);
        Assert.All(answers, answer => Assert.DoesNotContain(Password, answer.Body, StringComparison.Ordinal));
    }

    /// <summary>Every endpoint of a run answers as it should while the ledger does (the child's spend is reported with the control token).</summary>
    private async Task AssertRunAnswersAsync(ControlPlaneClient client)
    {
        (await client.GetAsync("/status")).AssertStatus(HttpStatusCode.OK);
        (await client.GetAsync("/healthz")).AssertStatus(HttpStatusCode.OK);
        (await client.PostAsync("/cost", """{"cents":1}""", null)).AssertProblem(HttpStatusCode.Unauthorized);
        (await client.PostAsync("/cost", """{"cents":1}""", ControlToken)).AssertStatus(HttpStatusCode.OK);
        await AssertMetricsAsync(client);
    }

    /// <summary>Redis is gone or silent: what reads it is a 503 problem; /metrics and /healthz (the child is paid for) still answer.</summary>
    private async Task AssertRunLedgerFaultAsync(ControlPlaneClient client, RedisServer server, string how)
    {
        var clock = Stopwatch.StartNew();
        AssertLedgerUnavailable(await client.GetAsync("/status"), server);
        AssertLedgerUnavailable(await client.PostAsync("/cost", """{"cents":1}""", ControlToken), server);
        (await client.GetAsync("/healthz")).AssertStatus(HttpStatusCode.OK);
        var metrics = await AssertMetricsAsync(client);
        Assert.True(metrics.Value("budget_run_ledger_errors_total") > 0, "the failed ledger reads are not counted");
        output.WriteLine($"run plane, Redis {how}: the endpoints answered in {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private async Task AssertSidecarAnswersAsync(ControlPlaneClient client, string id, List<ControlAnswer> answers)
    {
        answers.Add((await client.GetAsync("/status")).AssertStatus(HttpStatusCode.OK));
        answers.Add((await client.GetAsync("/healthz")).AssertStatus(HttpStatusCode.OK));
        answers.Add((await client.PostAsync("/v1/settle", $$"""{"id":"{{id}}","cents":1}""", null)).AssertProblem(HttpStatusCode.Unauthorized));
        answers.Add(await PostReserveAsync(client));
        answers.Add((await SettleAsync(client, id)).AssertStatus(HttpStatusCode.OK));
        await AssertMetricsAsync(client);
    }

    private async Task AssertSidecarLedgerFaultAsync(ControlPlaneClient client, RedisServer server, string id, List<ControlAnswer> answers)
    {
        var clock = Stopwatch.StartNew();
        foreach (var answer in new[]
        {
            await client.GetAsync("/status"), await client.GetAsync("/healthz"), await PostReserveAsync(client), await SettleAsync(client, id),
        })
        {
            AssertLedgerUnavailable(answer, server);
            answers.Add(answer);
        }
        var metrics = await AssertMetricsAsync(client);
        Assert.True(metrics.Value("budget_run_ledger_errors_total") > 0, "the failed ledger operations are not counted");
        output.WriteLine($"sidecar, Redis down: the endpoints answered in {clock.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>GET and HEAD /metrics answer 200 whatever the ledger does; returns the GET's samples.</summary>
    private static async Task<PrometheusText> AssertMetricsAsync(ControlPlaneClient client)
    {
        var head = await client.SendAsync(HttpMethod.Head, "/metrics");
        head.AssertStatus(HttpStatusCode.OK);
        Assert.Equal("", head.Body);
        return await client.MetricsAsync();
    }

    private static void AssertLedgerUnavailable(ControlAnswer answer, RedisServer server)
    {
        answer.AssertProblem(HttpStatusCode.ServiceUnavailable);
        var detail = answer.Json.GetProperty("detail").GetString() ?? "";
        Assert.True(detail.StartsWith($"ledger {server.Uri} is unavailable: ", StringComparison.Ordinal), $"the detail does not name the ledger\n{answer}");
        Assert.DoesNotContain("   at ", answer.Body, StringComparison.Ordinal);
    }

    /// <summary>Polls <paramref name="send"/> until it answers 200: the ledger is back for budget-run too.</summary>
    private static async Task UntilOkAsync(ControlPlaneClient client, Func<Task<ControlAnswer>> send, BudgetRunProcess run, string what)
    {
        var clock = Stopwatch.StartNew();
        ControlAnswer last;
        while ((last = await send()).Status != HttpStatusCode.OK)
        {
            if (clock.Elapsed > _backLimit || run.HasExited)
            {
                throw new Xunit.Sdk.XunitException($"{what}: no 200 within {_backLimit.TotalSeconds:0} s ({client.BaseUrl})\n{last}\n--- stderr ---\n{run.StderrSoFar}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }

    private Task<ControlAnswer> PostReserveAsync(ControlPlaneClient client) => client.PostAsync("/v1/reserve", """{"cents":1}""", ControlToken);

    private Task<ControlAnswer> SettleAsync(ControlPlaneClient client, string id) =>
        client.PostAsync("/v1/settle", $$"""{"id":"{{id}}","cents":1}""", ControlToken);

    private async Task<string> ReserveAsync(ControlPlaneClient client)
    {
        var answer = (await PostReserveAsync(client)).AssertStatus(HttpStatusCode.OK);
        return answer.Json.GetProperty("id").GetString()!;
    }

    /// <summary>Waits for serve's "serving budget ... on URL" line and connects to that URL.</summary>
    private static async Task<ControlPlaneClient> ConnectToServeAsync(BudgetRunProcess serve)
    {
        Match? line = null;
        await Wait.UntilAsync(() => (line = ServingLine().Match(serve.StderrSoFar)).Success, TimeSpan.FromSeconds(20), "the 'serving budget' line", serve);
        return new ControlPlaneClient(new Uri("http://127.0.0.1:" + int.Parse(line!.Groups[1].Value, CultureInfo.InvariantCulture)));
    }

    private static string NewKey() => $"endpoint-faults/{Guid.NewGuid():N}";

    [GeneratedRegex(@"serving budget .* on http://127\.0\.0\.1:(\d+)")]
    private static partial Regex ServingLine();
}
