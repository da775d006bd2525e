using System.Net;
using BudgetRun.ControlPlane.Tests.Fakes;
using BudgetRun.ControlPlane.Tests.Infrastructure;
using BudgetRun.Engine;

namespace BudgetRun.ControlPlane.Tests.Control;

/// <summary><c>GET /healthz</c> of a run: 200 ok, 503 unhealthy with the reason, 503 problem when the budget cannot be read.</summary>
public sealed class HealthTests
{
    [Fact]
    public async Task Healthz_WhileTheBudgetPaysAnotherAttempt_Answers200Ok()
    {
        await using var plane = await RunPlane.StartAsync(budgetCents: 1000, attemptCents: 100);

        var answer = await plane.Client.GetAsync("/healthz");

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal("application/json", answer.MediaType);
        Assert.Equal("ok", answer.Json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Healthz_WhenTheBudgetCannotPayAnotherAttempt_Answers503Unhealthy()
    {
        await using var plane = await RunPlane.StartAsync(budgetCents: 150, attemptCents: 100);
        await plane.Ledger.RecordSpendAsync(60, CancellationToken.None);

        var answer = await plane.Client.GetAsync("/healthz");

        answer.AssertStatus(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("application/json", answer.MediaType);
        Assert.Equal(("unhealthy", "budget exhausted"), (answer.Json.GetProperty("status").GetString(), answer.Json.GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task Healthz_OnceTheKillSwitchIsEngaged_Answers503UnhealthyWithoutReadingTheLedger()
    {
        await using var plane = await RunPlane.StartAsync();
        plane.Control.RequestStop(StopReason.KillSwitch, "stop");
        plane.Switch.Mode = LedgerMode.Down;

        var answer = await plane.Client.GetAsync("/healthz");

        answer.AssertStatus(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("kill switch engaged", answer.Json.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Healthz_WhenTheLedgerIsDownBetweenAttempts_Answers503Problem()
    {
        await using var plane = await RunPlane.StartAsync();
        plane.Switch.Mode = LedgerMode.Down;

        var answer = await plane.Client.GetAsync("/healthz");

        answer.AssertLedgerUnavailable();
    }

    [Fact]
    public async Task Healthz_WhileAPaidForAttemptRuns_Answers200EvenWhenTheLedgerIsDown()
    {
        // The running attempt's reservation is already taken: a ledger blip must not make a
        // supervisor that is doing paid work look unhealthy (and get it restarted).
        await using var plane = await RunPlane.StartAsync();
        Assert.NotNull(await plane.Budget.ReserveAttemptAsync());
        plane.Switch.Mode = LedgerMode.Down;

        var answer = await plane.Client.GetAsync("/healthz");

        answer.AssertStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Healthz_Head_AnswersTheStatusWithoutABody()
    {
        await using var plane = await RunPlane.StartAsync();

        var up = await plane.Client.SendAsync(HttpMethod.Head, "/healthz");
        plane.Switch.Mode = LedgerMode.Down;
        var down = await plane.Client.SendAsync(HttpMethod.Head, "/healthz");

        Assert.Equal((HttpStatusCode.OK, ""), (up.Status, up.Body));
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "application/problem+json", ""), (down.Status, down.MediaType, down.Body));
    }

    [Fact]
    public async Task Healthz_AfterTheLedgerIsBack_Answers200Again()
    {
        await using var plane = await RunPlane.StartAsync();
        plane.Switch.Mode = LedgerMode.TimingOut;
        (await plane.Client.GetAsync("/healthz")).AssertLedgerUnavailable();

        plane.Switch.Mode = LedgerMode.Up;

        (await plane.Client.GetAsync("/healthz")).AssertStatus(HttpStatusCode.OK);
    }
}
