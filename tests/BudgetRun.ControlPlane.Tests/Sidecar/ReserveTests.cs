using System.Net;
using BudgetRun.ControlPlane.Tests.Fakes;
using BudgetRun.ControlPlane.Tests.Infrastructure;

namespace BudgetRun.ControlPlane.Tests.Sidecar;

/// <summary><c>POST /v1/reserve</c>: 200 with an id, 402 when it does not fit, 423 while killed, 400, 401, 503 in an outage.</summary>
public sealed class ReserveTests
{
    [Fact]
    public async Task Reserve_WhenTheCentsFit_Answers200WithAnIdAndWhatIsLeft()
    {
        await using var plane = await SidecarPlane.StartAsync(limitCents: 100);

        var answer = await plane.Client.PostAsync("/v1/reserve", """{"cents":25}""", SidecarPlane.ControlToken);

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal("application/json", answer.MediaType);
        Assert.False(string.IsNullOrEmpty(answer.Json.GetProperty("id").GetString()));
        Assert.Equal((25, 75), (answer.Json.GetProperty("cents").GetInt64(), answer.Json.GetProperty("remainingCents").GetInt64()));
    }

    [Fact]
    public async Task Reserve_WhenTheCentsDoNotFit_Answers402ProblemSayingWhatRemains()
    {
        await using var plane = await SidecarPlane.StartAsync(limitCents: 100);

        var answer = await plane.Client.PostAsync("/v1/reserve", """{"cents":101}""", SidecarPlane.ControlToken);

        Assert.Equal("101 cents do not fit: 100 of 100 remain", answer.AssertProblemWithDetail(HttpStatusCode.PaymentRequired));
    }

    [Fact]
    public async Task Reserve_WhileTheKillSwitchIsEngaged_Answers423ProblemNamingTheReason()
    {
        await using var plane = await SidecarPlane.StartAsync();
        await plane.Ledger.KillAsync("INC-7", CancellationToken.None);

        var answer = await plane.Client.PostAsync("/v1/reserve", """{"cents":1}""", SidecarPlane.ControlToken);

        Assert.Equal($"budget '{SidecarPlane.BudgetKey}' is stopped: INC-7", answer.AssertProblemWithDetail(HttpStatusCode.Locked));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    public async Task Reserve_WithoutTheControlToken_Answers401AndReservesNothing(string? token)
    {
        await using var plane = await SidecarPlane.StartAsync();

        var answer = await plane.Client.PostAsync("/v1/reserve", """{"cents":1}""", token);

        answer.AssertProblemWithDetail(HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", answer.WwwAuthenticate);
        Assert.Equal(0, (await plane.Ledger.StatusAsync(CancellationToken.None)).ReservedCents);
    }

    [Fact]
    public async Task Reserve_WithoutAConfiguredToken_NeedsNone()
    {
        await using var plane = await SidecarPlane.StartAsync(withToken: false);

        (await plane.Client.PostAsync("/v1/reserve", """{"cents":1}""", null)).AssertStatus(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("{}")]
    [InlineData("""{"cents":0}""")]
    [InlineData("""{"cents":-1}""")]
    [InlineData("""{"cents":2.5}""")]
    [InlineData("""{"cents":1000000000001}""")]
    [InlineData("""{"cents":1,"id":"x"}""")]
    [InlineData("{")]
    public async Task Reserve_WithABadBody_Answers400AndReservesNothing(string? body)
    {
        await using var plane = await SidecarPlane.StartAsync();

        var answer = await plane.Client.PostAsync("/v1/reserve", body, SidecarPlane.ControlToken);

        answer.AssertProblemWithDetail(HttpStatusCode.BadRequest);
        Assert.Equal(0, (await plane.Ledger.StatusAsync(CancellationToken.None)).ReservedCents);
    }

    [Theory]
    [InlineData(LedgerMode.Down)]
    [InlineData(LedgerMode.TimingOut)]
    public async Task Reserve_WhenTheLedgerIsDownOrTimesOut_Answers503Problem(LedgerMode mode)
    {
        await using var plane = await SidecarPlane.StartAsync();
        plane.Switch.Mode = mode;

        var answer = await plane.Client.PostAsync("/v1/reserve", """{"cents":1}""", SidecarPlane.ControlToken);

        answer.AssertLedgerUnavailable();
    }

    [Fact]
    public async Task Reserve_AfterTheLedgerIsBack_Answers200Again()
    {
        await using var plane = await SidecarPlane.StartAsync();
        plane.Switch.Mode = LedgerMode.Down;
        (await plane.Client.PostAsync("/v1/reserve", """{"cents":1}""", SidecarPlane.ControlToken)).AssertLedgerUnavailable();

        plane.Switch.Mode = LedgerMode.Up;

        (await plane.Client.PostAsync("/v1/reserve", """{"cents":1}""", SidecarPlane.ControlToken)).AssertStatus(HttpStatusCode.OK);
    }
}
