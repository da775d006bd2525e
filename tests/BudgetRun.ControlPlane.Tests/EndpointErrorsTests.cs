using System.Net;
using BudgetRun.ControlPlane.Tests.Fakes;
using BudgetRun.ControlPlane.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace BudgetRun.ControlPlane.Tests;

/// <summary>
/// The one error layer of both planes: every endpoint that reads the ledger answers a 503 problem
/// naming it in an outage and 200 again once it is back; a bug is a 500 problem and one log line,
/// never a stack trace; routing's bodiless 404 and 405 get a problem body.
/// </summary>
public sealed class EndpointErrorsTests
{
    /// <summary>Every endpoint of a run's plane that reads the ledger, as "METHOD /path".</summary>
    public static TheoryData<string> RunEndpoints => new() { "GET /status", "GET /healthz", "HEAD /healthz", "POST /cost", "POST /kill fleet" };

    /// <summary>Every endpoint of the sidecar that reads the ledger.</summary>
    public static TheoryData<string> SidecarEndpoints => new() { "GET /status", "GET /healthz", "HEAD /healthz", "POST /v1/reserve", "POST /v1/settle" };

    [Theory]
    [MemberData(nameof(RunEndpoints))]
    public async Task RunEndpoint_ThroughDownSlowAndBack_Answers503ProblemThen200(string endpoint)
    {
        await using var plane = await RunPlane.StartAsync(withBudgetKey: true);

        foreach (var mode in new[] { LedgerMode.Down, LedgerMode.TimingOut })
        {
            plane.Switch.Mode = mode;
            AssertLedgerUnavailable(await SendAsync(plane, endpoint), endpoint);
        }
        plane.Switch.Mode = LedgerMode.Up;
        var back = await SendAsync(plane, endpoint);

        Assert.True(back.Status is HttpStatusCode.OK or HttpStatusCode.Accepted, $"after the ledger is back:\n{back}");
        Assert.Empty(plane.Host.Logs.Of<EndpointErrors>());
    }

    [Theory]
    [MemberData(nameof(SidecarEndpoints))]
    public async Task SidecarEndpoint_ThroughDownSlowAndBack_Answers503ProblemThen200(string endpoint)
    {
        await using var plane = await SidecarPlane.StartAsync();
        var ids = new Queue<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Enqueue((await plane.Ledger.ReserveAsync(1, CancellationToken.None)).Id!);
        }

        foreach (var mode in new[] { LedgerMode.Down, LedgerMode.TimingOut })
        {
            plane.Switch.Mode = mode;
            AssertLedgerUnavailable(await SendAsync(plane, endpoint, ids.Dequeue()), endpoint);
        }
        plane.Switch.Mode = LedgerMode.Up;

        (await SendAsync(plane, endpoint, ids.Dequeue())).AssertStatus(HttpStatusCode.OK);
        Assert.Empty(plane.Host.Logs.Of<EndpointErrors>());
    }

    [Theory]
    [MemberData(nameof(RunEndpoints))]
    public async Task RunEndpoint_WhenTheLedgerHasABug_Answers500ProblemWithoutAStackTrace_AndLogsOneLine(string endpoint)
    {
        await using var plane = await RunPlane.StartAsync(withBudgetKey: true);
        plane.Switch.Mode = LedgerMode.Broken;

        var answer = await SendAsync(plane, endpoint);

        AssertInternalError(answer, plane.Host.Logs, endpoint);
    }

    [Theory]
    [MemberData(nameof(SidecarEndpoints))]
    public async Task SidecarEndpoint_WhenTheLedgerHasABug_Answers500ProblemWithoutAStackTrace_AndLogsOneLine(string endpoint)
    {
        await using var plane = await SidecarPlane.StartAsync();
        var id = (await plane.Ledger.ReserveAsync(1, CancellationToken.None)).Id!;
        plane.Switch.Mode = LedgerMode.Broken;

        var answer = await SendAsync(plane, endpoint, id);

        AssertInternalError(answer, plane.Host.Logs, endpoint);
    }

    [Theory]
    [InlineData("/nope")]
    [InlineData("/v1/reserve")]
    public async Task AnUnknownPath_OfARun_Answers404Problem(string path)
    {
        await using var plane = await RunPlane.StartAsync();

        var answer = await plane.Client.GetAsync(path);

        Assert.Equal("no endpoint has this path (the README lists them)", answer.AssertProblemWithDetail(HttpStatusCode.NotFound));
        Assert.Equal("not found", answer.Json.GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("/cost")]
    [InlineData("/kill")]
    public async Task AnUnknownPath_OfTheSidecar_Answers404Problem(string path)
    {
        await using var plane = await SidecarPlane.StartAsync();

        (await plane.Client.PostAsync(path, "{}", SidecarPlane.ControlToken)).AssertProblemWithDetail(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("GET", "/kill", "POST")]
    [InlineData("GET", "/cost", "POST")]
    [InlineData("POST", "/status", "GET")]
    [InlineData("DELETE", "/metrics", "GET, HEAD")]
    [InlineData("PUT", "/healthz", "GET, HEAD")]
    public async Task AWrongMethod_OfARun_Answers405ProblemNamingTheMethodsItAnswers(string method, string path, string allowed)
    {
        await using var plane = await RunPlane.StartAsync();

        var answer = await plane.Client.SendAsync(new HttpMethod(method), path);

        Assert.Equal($"this endpoint answers {allowed} only", answer.AssertProblemWithDetail(HttpStatusCode.MethodNotAllowed));
        Assert.Equal("method not allowed", answer.Json.GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("GET", "/v1/reserve")]
    [InlineData("GET", "/v1/settle")]
    [InlineData("POST", "/healthz")]
    public async Task AWrongMethod_OfTheSidecar_Answers405Problem(string method, string path)
    {
        await using var plane = await SidecarPlane.StartAsync();

        (await plane.Client.SendAsync(new HttpMethod(method), path)).AssertProblemWithDetail(HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task AnUnknownPath_HoldingAToken_DoesNotEchoIt()
    {
        await using var plane = await RunPlane.StartAsync();

        var answer = await plane.Client.GetAsync("/" + RunPlane.ControlToken);

        answer.AssertProblemWithDetail(HttpStatusCode.NotFound);
        Assert.DoesNotContain(RunPlane.ControlToken, answer.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AClientThatGivesUpOnASlowLedger_IsNotLoggedAsAFailure()
    {
        await using var plane = await RunPlane.StartAsync();
        plane.Switch.Mode = LedgerMode.Slow;
        plane.Switch.Delay = TimeSpan.FromSeconds(5);
        using var impatient = new HttpClient { BaseAddress = plane.Client.BaseUrl, Timeout = TimeSpan.FromMilliseconds(200) };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient.GetAsync(new Uri("/status", UriKind.Relative)));
        plane.Switch.Mode = LedgerMode.Up;
        (await plane.Client.GetAsync("/status")).AssertStatus(HttpStatusCode.OK);

        Assert.Empty(plane.Host.Logs.Of<EndpointErrors>());
    }

    private static void AssertLedgerUnavailable(ControlAnswer answer, string endpoint)
    {
        if (endpoint.StartsWith("HEAD ", StringComparison.Ordinal))
        {
            Assert.Equal((HttpStatusCode.ServiceUnavailable, "application/problem+json", ""), (answer.Status, answer.MediaType, answer.Body));
            return;
        }
        answer.AssertLedgerUnavailable();
    }

    private static void AssertInternalError(ControlAnswer answer, LogRecorder logs, string endpoint)
    {
        if (endpoint.StartsWith("HEAD ", StringComparison.Ordinal))
        {
            Assert.Equal((HttpStatusCode.InternalServerError, "application/problem+json"), (answer.Status, answer.MediaType));
        }
        else
        {
            Assert.Equal("budget-run failed to answer; see its log", answer.AssertProblemWithDetail(HttpStatusCode.InternalServerError));
            Assert.DoesNotContain("has a bug", answer.Body, StringComparison.Ordinal);
        }
        var line = Assert.Single(logs.Of<EndpointErrors>());
        Assert.Equal(LogLevel.Error, line.Level);
        Assert.Null(line.Exception); // one line: the message names the error, no stack trace follows
        Assert.Contains("InvalidOperationException: the fake ledger's", line.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line.Message);
    }

    private static Task<ControlAnswer> SendAsync(RunPlane plane, string endpoint) => endpoint switch
    {
        "GET /status" => plane.Client.GetAsync("/status"),
        "GET /healthz" => plane.Client.GetAsync("/healthz"),
        "HEAD /healthz" => plane.Client.SendAsync(HttpMethod.Head, "/healthz"),
        "POST /cost" => plane.Client.PostAsync("/cost", """{"cents":1}""", plane.State.ChildToken),
        "POST /kill fleet" => plane.Client.PostAsync("/kill", """{"scope":"fleet"}""", RunPlane.ControlToken),
        _ => throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, "not an endpoint of a run"),
    };

    private static Task<ControlAnswer> SendAsync(SidecarPlane plane, string endpoint, string reservationId) => endpoint switch
    {
        "GET /status" => plane.Client.GetAsync("/status"),
        "GET /healthz" => plane.Client.GetAsync("/healthz"),
        "HEAD /healthz" => plane.Client.SendAsync(HttpMethod.Head, "/healthz"),
        "POST /v1/reserve" => plane.Client.PostAsync("/v1/reserve", """{"cents":1}""", SidecarPlane.ControlToken),
        "POST /v1/settle" => plane.Client.PostAsync("/v1/settle", $$"""{"id":"{{reservationId}}","cents":1}""", SidecarPlane.ControlToken),
        _ => throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, "not an endpoint of the sidecar"),
    };
}
