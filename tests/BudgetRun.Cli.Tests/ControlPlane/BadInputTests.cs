using System.Net;
using System.Text;

namespace BudgetRun.Cli.Tests.ControlPlane;

/// <summary>
/// Bad HTTP input, sent with the valid control token so that only the input is wrong: a 4xx with an
/// <c>application/problem+json</c> body, and nothing changes (spend, kill switch, the child).
/// </summary>
public sealed class BadInputTests(RunningControlPlane fixture) : IClassFixture<RunningControlPlane>
{
    private const int Limit = 64 * 1024;

    public static TheoryData<string, string> BadCostBodies => new()
    {
        { "malformed", "{" },
        { "not JSON", "five cents" },
        { "missing value", "{\"cents\": }" },
        { "string", "{\"cents\": \"5\"}" },
        { "true", "{\"cents\": true}" },
        { "array", "{\"cents\": []}" },
        { "object", "{\"cents\": {}}" },
        { "null value", "{\"cents\": null}" },
        { "fractional", "{\"cents\": 2.5}" },
        { "negative", "{\"cents\": -1}" },
        { "zero", "{\"cents\": 0}" },
        { "exponent", "{\"cents\": 1e99}" },
        { "past long", "{\"cents\": 9223372036854775808}" },
        { "over the cap", "{\"cents\": 1000000000001}" },
        { "long min", "{\"cents\": -9223372036854775808}" },
        { "unknown field", "{\"cents\": 5, \"currency\": \"EUR\"}" },
        { "wrong case", "{\"Cents\": 5}" },
        { "missing cents", "{}" },
        { "top-level array", "[]" },
        { "top-level null", "null" },
        { "top-level number", "5" },
        { "top-level string", "\"5\"" },
        { "empty", "" },
        { "trailing comma", "{\"cents\": 5,}" },
        { "trailing content", "{\"cents\": 5} {}" },
        { "comment", "{\"cents\": 5 /* five */}" },
        { "single quotes", "{'cents': 5}" },
        { "duplicate key, last wins in lax parsers", "{\"cents\": 1, \"cents\": 2}" },
        { "duplicate key, same value", "{\"cents\": 5, \"cents\": 5}" },
        { "duplicate key, other case is unknown", "{\"cents\": 5, \"CENTS\": 5}" },
        { "non-ASCII unknown field", "{\"c\u00e9nts\": 5}" },
    };

    public static TheoryData<string, string> BadKillBodies => new()
    {
        { "malformed", "{" },
        { "number reason", "{\"reason\": 5}" },
        { "boolean reason", "{\"reason\": true}" },
        { "array reason", "{\"reason\": [\"x\"]}" },
        { "top-level array", "[]" },
        { "top-level null", "null" },
        { "top-level string", "\"stop\"" },
        { "unknown field", "{\"reason\": \"x\", \"force\": true}" },
        { "fleet without a budget key", "{\"scope\": \"fleet\"}" },
        { "fleet with a reason", "{\"scope\": \"fleet\", \"reason\": \"x\"}" },
        { "unknown scope", "{\"scope\": \"galaxy\"}" },
        { "reason over 1024 characters", "{\"reason\": \"" + new string('r', 1025) + "\"}" },
        { "trailing content", "{\"reason\": \"x\"} {}" },
        { "duplicate reason", "{\"reason\": \"a\", \"reason\": \"b\"}" },
        { "duplicate scope", "{\"scope\": \"run\", \"scope\": \"fleet\"}" },
    };

    /// <summary>What a 400 says: the real fault in the user's words, never a .NET type, never "malformed" for well-formed JSON.</summary>
    public static TheoryData<string, string> CostDetails => new()
    {
        { "{", "malformed JSON at line 1, byte 2" },
        { "{\"cents\": 1, \"cents\": 2}", "field 'cents' appears more than once" },
        { "{\"cents\": 5, \"currency\": \"EUR\"}", "unknown field 'currency' (this endpoint takes cents)" },
        { "{}", "field 'cents' is required" },
        { "{\"cents\": \"5\"}", "field 'cents' must be a whole number" },
        { "{\"cents\": 2.5}", "field 'cents' must be a whole number" },
        { "{\"cents\": null}", "field 'cents' must be a whole number" },
        { "[]", "the body must be a JSON object" },
        { "{\"cents\": 0}", "cents must be a whole number from 1 to 1000000000000" },
    };

    public static TheoryData<string, string, int> WrongRoutes => new()
    {
        { "GET", "/kill", 405 },
        { "GET", "/cost", 405 },
        { "PUT", "/cost", 405 },
        { "PUT", "/kill", 405 },
        { "DELETE", "/kill", 405 },
        { "DELETE", "/status", 405 },
        { "POST", "/status", 405 },
        { "POST", "/metrics", 405 },
        { "POST", "/healthz", 405 },
        { "PATCH", "/cost", 405 },
        { "GET", "/", 404 },
        { "GET", "/nope", 404 },
        { "POST", "/nope", 404 },
        { "POST", "/kill/now", 404 },
        { "GET", "/status/extra", 404 },
    };

    [Theory]
    [MemberData(nameof(BadCostBodies))]
    public async Task Cost_WithABadBody_Is400Problem_AndChangesNothing(string what, string body)
    {
        _ = what; // names the case in the test list
        await AssertRejectedAsync(HttpMethod.Post, "/cost", ControlPlaneClient.Json(body), HttpStatusCode.BadRequest);
    }

    [Theory]
    [MemberData(nameof(CostDetails))]
    public async Task Cost_WithABadBody_SaysWhatIsWrongInTheUsersWords(string body, string detail)
    {
        var answer = await fixture.Client.SendAsync(HttpMethod.Post, "/cost", ControlPlaneClient.Json(body), "Bearer " + fixture.ControlToken);

        answer.AssertProblem(HttpStatusCode.BadRequest);
        Assert.Equal(detail, answer.Json.GetProperty("detail").GetString());
        Assert.DoesNotContain("BudgetRun.", answer.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", answer.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cost_WithoutABody_Is400Problem_AndChangesNothing() =>
        await AssertRejectedAsync(HttpMethod.Post, "/cost", null, HttpStatusCode.BadRequest);

    [Theory]
    [MemberData(nameof(BadKillBodies))]
    public async Task Kill_WithABadBody_Is400Problem_AndChangesNothing(string what, string body)
    {
        _ = what; // names the case in the test list
        await AssertRejectedAsync(HttpMethod.Post, "/kill", ControlPlaneClient.Json(body), HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("/cost", Limit + 1)]
    [InlineData("/cost", 2 * 1024 * 1024)]
    [InlineData("/kill", Limit + 1)]
    [InlineData("/kill", 2 * 1024 * 1024)]
    public async Task Body_OverTheLimit_WithAContentLength_Is400Problem_AndChangesNothing(string path, int size)
    {
        // The body waits for "100 Continue", so the server refuses it by its Content-Length before it is sent.
        var content = new ByteArrayContent(PaddedJson(path, size));
        content.Headers.ContentType = new("application/json");
        var before = await StatusSnapshot.TakeAsync(fixture.Client);

        var answer = await fixture.Client.SendAsync(HttpMethod.Post, path, content, "Bearer " + fixture.ControlToken, expectContinue: true);

        answer.AssertProblem(HttpStatusCode.BadRequest);
        await fixture.AssertNothingChangedAsync(before, answer);
    }

    [Theory]
    [InlineData("/cost", Limit + 1, 3)]
    [InlineData("/kill", Limit + 1, 3)]
    [InlineData("/cost", 2 * 1024 * 1024, 100)]
    [InlineData("/kill", 2 * 1024 * 1024, 100)]
    public async Task Body_OverTheLimit_Chunked_IsAProblem_AndChangesNothing(string path, int size, int times)
    {
        // How much of a chunked body the server has read ahead when the endpoint answers depends on
        // timing, so it is sent many times. Closing the connection rather than reading the rest is
        // fine; any answer must be a 4xx problem, and nothing may change or be logged as a crash.
        var bytes = PaddedJson(path, size);
        var before = await StatusSnapshot.TakeAsync(fixture.Client);
        var cost = (await fixture.Client.MetricsAsync()).Value("budget_run_cost_cents_total");
        var logBefore = fixture.Run.StderrSoFar.Length;
        var answers = new List<ControlAnswer>();
        var closed = 0;
        for (var i = 0; i < times; i++)
        {
            var content = new StreamContent(new UnseekableStream(bytes));
            content.Headers.ContentType = new("application/json");
            try
            {
                answers.Add(await fixture.Client.SendAsync(HttpMethod.Post, path, content, "Bearer " + fixture.ControlToken));
            }
            catch (HttpRequestException ex) when (ex.InnerException is IOException)
            {
                closed++;
            }
        }

        var tally = string.Join(", ", answers.GroupBy(answer => $"{(int)answer.Status} {answer.MediaType ?? "no body type"}")
            .Select(group => $"{group.Count()} x {group.Key}")) + $", {closed} x connection closed";
        foreach (var answer in answers)
        {
            Assert.True((int)answer.Status is 400 or 413 && answer.MediaType == "application/problem+json",
                $"of {times} chunked bodies of {size} bytes: {tally}; this one is not a 4xx problem:\n{answer}");
            answer.AssertProblem(answer.Status);
        }
        await fixture.AssertNothingChangedAsync(before, answers.LastOrDefault() ?? new ControlAnswer(HttpMethod.Post, path, 0, null, "", "", new Dictionary<string, string>()));
        Assert.Equal(cost, (await fixture.Client.MetricsAsync()).Value("budget_run_cost_cents_total"));
        var log = fixture.Run.StderrSoFar[logBefore..];
        Assert.False(log.Contains("   at ", StringComparison.Ordinal), $"oversized chunked bodies ({tally}) made budget-run log a stack trace:\n{log}");
    }

    [Theory]
    [MemberData(nameof(WrongRoutes))]
    public async Task WrongMethodOrPath_IsAProblem_AndChangesNothing(string method, string path, int expected)
    {
        var content = method is "GET" or "DELETE" ? null : ControlPlaneClient.Json(path == "/kill" ? "{}" : "{\"cents\": 5}");
        await AssertRejectedAsync(new HttpMethod(method), path, content, (HttpStatusCode)expected);
    }

    private async Task AssertRejectedAsync(HttpMethod method, string path, HttpContent? content, HttpStatusCode expected)
    {
        var before = await StatusSnapshot.TakeAsync(fixture.Client);
        var cost = (await fixture.Client.MetricsAsync()).Value("budget_run_cost_cents_total");

        var answer = await fixture.Client.SendAsync(method, path, content, "Bearer " + fixture.ControlToken);

        answer.AssertProblem(expected);
        await fixture.AssertNothingChangedAsync(before, answer);
        Assert.Equal(cost, (await fixture.Client.MetricsAsync()).Value("budget_run_cost_cents_total"));
        Assert.Equal(0, (await fixture.Client.MetricsAsync()).Value("budget_run_kill_switch_engaged"));
    }

    /// <summary>Valid JSON for <paramref name="path"/> padded with spaces to <paramref name="size"/> bytes: only its size is wrong.</summary>
    private static byte[] PaddedJson(string path, int size)
    {
        var json = path == "/cost" ? "{\"cents\": 5}" : "{\"reason\": \"too big\"}";
        return Encoding.UTF8.GetBytes(json + new string(' ', size - json.Length));
    }

    /// <summary>A body of unknown length, so HttpClient sends it chunked.</summary>
    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();
    }
}
