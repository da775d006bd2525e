using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using BudgetRun.Resilience.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Resilience.Tests.Faults;

/// <summary>
/// Fault: the PostgreSQL ledger is stopped as a crash stops it and started again under <c>serve</c>,
/// while a client calls every endpoint. Promise, as for Redis: what reads the ledger answers a 503
/// problem naming it (never its password), /metrics keeps answering 200 with the errors counted,
/// everything answers 200 again once the server is back, and nothing is logged as a stack trace.
/// </summary>
[Collection(TimingCollection.Name)]
public sealed partial class PostgresEndpointFaultTests(ITestOutputHelper output) : ResilienceTest
{
    private static readonly TimeSpan _backLimit = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Sidecar_PostgresStoppedAndBack_EveryEndpointAnswers503ProblemThen200_AndNoPasswordShows()
    {
        await using var server = await PostgresServer.StartAsync("sidecar-pg-pw-9000");
        using var serve = Launch(["serve", "--listen", "127.0.0.1:0", "--budget-key", $"endpoint-faults/{Guid.NewGuid():N}", "--ledger", server.Uri,
            "--max-cost-cents", "100", "--ledger-timeout", "1s", "--control-token-file", TokenFile()],
            new Dictionary<string, string?> { ["PGPASSWORD"] = server.Password, ["PGPASSFILE"] = null }, timeout: TimeSpan.FromSeconds(60));
        using var client = await ConnectToServeAsync(serve);
        var ids = new Queue<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Enqueue((await ReserveAsync(client)).AssertStatus(HttpStatusCode.OK).Json.GetProperty("id").GetString()!);
        }
        var answers = new List<ControlAnswer>();
        await AssertAnswersAsync(client, ids.Dequeue(), answers);

        server.Stop();
        var clock = Stopwatch.StartNew();
        foreach (var answer in new[]
        {
            await client.GetAsync("/status"), await client.GetAsync("/healthz"), await ReserveAsync(client), await SettleAsync(client, ids.Dequeue()),
        })
        {
            answer.AssertProblem(HttpStatusCode.ServiceUnavailable);
            var detail = answer.Json.GetProperty("detail").GetString() ?? "";
            Assert.True(detail.StartsWith($"ledger {server.Uri} is unavailable: ", StringComparison.Ordinal), $"the detail does not name the ledger\n{answer}");
            answers.Add(answer);
        }
        var metrics = await client.MetricsAsync();
        Assert.True(metrics.Value("budget_run_ledger_errors_total") > 0, "the failed ledger operations are not counted");
        output.WriteLine($"sidecar, PostgreSQL stopped: the endpoints answered in {clock.Elapsed.TotalSeconds:0.0} s");

        await server.RestartAsync();
        await UntilOkAsync(client, serve);
        await AssertAnswersAsync(client, ids.Dequeue(), answers);
        serve.Signal(Posix.SIGTERM);
        var result = await serve.WaitAsync();

        output.WriteLine(result.Stderr);
        result.AssertExitCode(0).AssertNoStackTrace();
        Assert.DoesNotContain(server.Password, result.Stderr, StringComparison.Ordinal);
        Assert.All(answers, answer => Assert.DoesNotContain(server.Password, answer.Body, StringComparison.Ordinal));
    }

    private async Task AssertAnswersAsync(ControlPlaneClient client, string id, List<ControlAnswer> answers)
    {
        answers.Add((await client.GetAsync("/status")).AssertStatus(HttpStatusCode.OK));
        answers.Add((await client.GetAsync("/healthz")).AssertStatus(HttpStatusCode.OK));
        answers.Add((await ReserveAsync(client)).AssertStatus(HttpStatusCode.OK));
        answers.Add((await SettleAsync(client, id)).AssertStatus(HttpStatusCode.OK));
        (await client.SendAsync(HttpMethod.Head, "/metrics")).AssertStatus(HttpStatusCode.OK);
    }

    private static async Task UntilOkAsync(ControlPlaneClient client, BudgetRunProcess run)
    {
        var clock = Stopwatch.StartNew();
        ControlAnswer last;
        while ((last = await client.GetAsync("/status")).Status != HttpStatusCode.OK)
        {
            if (clock.Elapsed > _backLimit || run.HasExited)
            {
                throw new Xunit.Sdk.XunitException($"/status after the restart: no 200 within {_backLimit.TotalSeconds:0} s\n{last}\n--- stderr ---\n{run.StderrSoFar}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }

    private Task<ControlAnswer> ReserveAsync(ControlPlaneClient client) => client.PostAsync("/v1/reserve", """{"cents":1}""", ControlToken);

    private Task<ControlAnswer> SettleAsync(ControlPlaneClient client, string id) =>
        client.PostAsync("/v1/settle", $$"""{"id":"{{id}}","cents":1}""", ControlToken);

    private static async Task<ControlPlaneClient> ConnectToServeAsync(BudgetRunProcess serve)
    {
        Match? line = null;
        await Wait.UntilAsync(() => (line = ServingLine().Match(serve.StderrSoFar)).Success, TimeSpan.FromSeconds(20), "the 'serving budget' line", serve);
        return new ControlPlaneClient(new Uri("http://127.0.0.1:" + int.Parse(line!.Groups[1].Value, CultureInfo.InvariantCulture)));
    }

    [GeneratedRegex(@"serving budget .* on http://127\.0\.0\.1:(\d+)")]
    private static partial Regex ServingLine();
}
