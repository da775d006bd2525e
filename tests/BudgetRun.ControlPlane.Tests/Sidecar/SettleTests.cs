using System.Net;
using BudgetRun.ControlPlane.Tests.Fakes;
using BudgetRun.ControlPlane.Tests.Infrastructure;

namespace BudgetRun.ControlPlane.Tests.Sidecar;

/// <summary><c>POST /v1/settle</c>: 200 with the account after it, 409 for a second settle, 404 for an unknown id, 400, 401, 503.</summary>
public sealed class SettleTests
{
    [Fact]
    public async Task Settle_AReservation_Answers200WithTheRealCostAndTheAccount()
    {
        await using var plane = await SidecarPlane.StartAsync(limitCents: 100);
        var id = await ReserveAsync(plane, 25);

        var answer = await plane.Client.PostAsync("/v1/settle", $$"""{"id":"{{id}}","cents":19}""", SidecarPlane.ControlToken);

        answer.AssertStatus(HttpStatusCode.OK);
        var json = answer.Json;
        Assert.Equal((id, 19, 19, 81), (json.GetProperty("id").GetString(), json.GetProperty("cents").GetInt64(),
            json.GetProperty("spentCents").GetInt64(), json.GetProperty("remainingCents").GetInt64()));
    }

    [Fact]
    public async Task Settle_IsCountedInTheCostMetric()
    {
        await using var plane = await SidecarPlane.StartAsync();
        var id = await ReserveAsync(plane, 10);

        await plane.Client.PostAsync("/v1/settle", $$"""{"id":"{{id}}","cents":7}""", SidecarPlane.ControlToken);

        Assert.Equal(7, (await plane.Client.MetricsAsync()).Value(MetricNames.Cost));
    }

    [Fact]
    public async Task Settle_ASecondTime_Answers409ProblemAndChangesNothing()
    {
        await using var plane = await SidecarPlane.StartAsync();
        var id = await ReserveAsync(plane, 10);
        (await plane.Client.PostAsync("/v1/settle", $$"""{"id":"{{id}}","cents":5}""", SidecarPlane.ControlToken)).AssertStatus(HttpStatusCode.OK);

        var answer = await plane.Client.PostAsync("/v1/settle", $$"""{"id":"{{id}}","cents":9}""", SidecarPlane.ControlToken);

        Assert.Contains(id, answer.AssertProblemWithDetail(HttpStatusCode.Conflict), StringComparison.Ordinal);
        Assert.Equal(5, (await plane.Ledger.StatusAsync(CancellationToken.None)).SpentCents);
    }

    [Fact]
    public async Task Settle_AnUnknownId_Answers404Problem()
    {
        await using var plane = await SidecarPlane.StartAsync();

        var answer = await plane.Client.PostAsync("/v1/settle", """{"id":"nope","cents":5}""", SidecarPlane.ControlToken);

        Assert.Equal("no reservation 'nope' in this budget", answer.AssertProblemWithDetail(HttpStatusCode.NotFound));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("{}")]
    [InlineData("""{"id":"r1"}""")]
    [InlineData("""{"cents":5}""")]
    [InlineData("""{"id":"","cents":5}""")]
    [InlineData("""{"id":"r1","cents":-1}""")]
    [InlineData("""{"id":7,"cents":5}""")]
    [InlineData("""{"id":"r1","cents":5,"extra":1}""")]
    public async Task Settle_WithABadBody_Answers400AndChangesNothing(string? body)
    {
        await using var plane = await SidecarPlane.StartAsync();
        await ReserveAsync(plane, 10);

        var answer = await plane.Client.PostAsync("/v1/settle", body, SidecarPlane.ControlToken);

        answer.AssertProblemWithDetail(HttpStatusCode.BadRequest);
        Assert.Equal((0, 10), ((await plane.Ledger.StatusAsync(CancellationToken.None)).SpentCents, (await plane.Ledger.StatusAsync(CancellationToken.None)).ReservedCents));
    }

    [Fact]
    public async Task Settle_AnIdPastTheLimit_Answers400()
    {
        await using var plane = await SidecarPlane.StartAsync();

        var answer = await plane.Client.PostAsync("/v1/settle", $$"""{"id":"{{new string('i', 201)}}","cents":5}""", SidecarPlane.ControlToken);

        answer.AssertProblemWithDetail(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Settle_WithoutTheControlToken_Answers401AndChangesNothing()
    {
        await using var plane = await SidecarPlane.StartAsync();
        var id = await ReserveAsync(plane, 10);

        var answer = await plane.Client.PostAsync("/v1/settle", $$"""{"id":"{{id}}","cents":5}""", null);

        answer.AssertProblemWithDetail(HttpStatusCode.Unauthorized);
        Assert.Equal(10, (await plane.Ledger.StatusAsync(CancellationToken.None)).ReservedCents);
    }

    [Theory]
    [InlineData(LedgerMode.Down)]
    [InlineData(LedgerMode.TimingOut)]
    public async Task Settle_WhenTheLedgerIsDownOrTimesOut_Answers503ProblemAndTheReservationStaysOpen(LedgerMode mode)
    {
        await using var plane = await SidecarPlane.StartAsync();
        var id = await ReserveAsync(plane, 10);
        plane.Switch.Mode = mode;

        var answer = await plane.Client.PostAsync("/v1/settle", $$"""{"id":"{{id}}","cents":5}""", SidecarPlane.ControlToken);

        answer.AssertLedgerUnavailable();
        plane.Switch.Mode = LedgerMode.Up;
        Assert.Equal(10, (await plane.Ledger.StatusAsync(CancellationToken.None)).ReservedCents);
    }

    [Fact]
    public async Task Settle_AfterTheLedgerIsBack_Answers200()
    {
        await using var plane = await SidecarPlane.StartAsync();
        var id = await ReserveAsync(plane, 10);
        plane.Switch.Mode = LedgerMode.Down;
        (await plane.Client.PostAsync("/v1/settle", $$"""{"id":"{{id}}","cents":5}""", SidecarPlane.ControlToken)).AssertLedgerUnavailable();

        plane.Switch.Mode = LedgerMode.Up;

        (await plane.Client.PostAsync("/v1/settle", $$"""{"id":"{{id}}","cents":5}""", SidecarPlane.ControlToken)).AssertStatus(HttpStatusCode.OK);
    }

    private static async Task<string> ReserveAsync(SidecarPlane plane, long cents)
    {
        var answer = await plane.Client.PostAsync("/v1/reserve", $$"""{"cents":{{cents}}}""", SidecarPlane.ControlToken);
        answer.AssertStatus(HttpStatusCode.OK);
        return answer.Json.GetProperty("id").GetString()!;
    }
}
