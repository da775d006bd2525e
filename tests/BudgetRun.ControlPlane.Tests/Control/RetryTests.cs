using System.Net;
using BudgetRun.ControlPlane.Tests.Infrastructure;

namespace BudgetRun.ControlPlane.Tests.Control;

/// <summary><c>POST /retry</c>: 202 and the request handed to the engine, 400 problem+json for a bad body, 401 without a token.</summary>
public sealed class RetryTests
{
    [Theory]
    [InlineData("""{"after":"45s"}""", 45_000L, true, null)]
    [InlineData("""{"after":"1.5s","reason":"429"}""", 1_500L, true, "429")]
    [InlineData("""{"after":"5h"}""", 3_600_000L, true, null)] // the answer says the cap
    [InlineData("""{"retry":false,"reason":"HTTP 400"}""", null, false, "HTTP 400")]
    [InlineData("""{"retry":false}""", null, false, null)]
    public async Task Retry_WithAGoodBody_Answers202_AndHandsTheRequestToTheEngine(string body, long? afterMs, bool retry, string? reason)
    {
        await using var plane = await RunPlane.StartAsync();

        var answer = await plane.Client.PostAsync("/retry", body, plane.State.ChildToken);

        answer.AssertStatus(HttpStatusCode.Accepted);
        Assert.Equal(retry, answer.Json.GetProperty("retry").GetBoolean());
        Assert.Equal(afterMs, answer.Json.GetProperty("afterMs").ValueKind == System.Text.Json.JsonValueKind.Null ? null : answer.Json.GetProperty("afterMs").GetInt64());
        var asked = plane.Control.TakeRetryRequest();
        Assert.NotNull(asked);
        Assert.Equal((retry, reason), (asked.Retry, asked.Reason));
        Assert.Null(plane.Control.TakeRetryRequest()); // read once
    }

    [Theory]
    [InlineData(null)]
    [InlineData("{}")]
    [InlineData("""{"after":"soon"}""")]
    [InlineData("""{"after":"45"}""")]
    [InlineData("""{"after":"0s"}""")]
    [InlineData("""{"after":"8d"}""")]
    [InlineData("""{"after":45}""")]
    [InlineData("""{"retry":false,"after":"1s"}""")]
    [InlineData("""{"after":"1s","bogus":1}""")]
    [InlineData("not json")]
    public async Task Retry_WithABadBody_Answers400Problem_AndAsksNothing(string? body)
    {
        await using var plane = await RunPlane.StartAsync();

        var answer = await plane.Client.PostAsync("/retry", body, plane.State.ChildToken);

        answer.AssertProblemWithDetail(HttpStatusCode.BadRequest);
        Assert.Null(plane.Control.TakeRetryRequest());
    }

    [Fact]
    public async Task Retry_WithoutAToken_Answers401_AndAsksNothing()
    {
        await using var plane = await RunPlane.StartAsync();

        (await plane.Client.PostAsync("/retry", """{"after":"1s"}""", null)).AssertProblemWithDetail(HttpStatusCode.Unauthorized);
        Assert.Null(plane.Control.TakeRetryRequest());
    }
}
