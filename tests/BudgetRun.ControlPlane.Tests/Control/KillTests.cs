using System.Net;
using BudgetRun.ControlPlane.Tests.Fakes;
using BudgetRun.ControlPlane.Tests.Infrastructure;
using BudgetRun.Engine;

namespace BudgetRun.ControlPlane.Tests.Control;

/// <summary><c>POST /kill</c>: 202 then 200, 400 for bad input, 401 without the control token; a run-scoped kill never waits on the ledger.</summary>
public sealed class KillTests
{
    [Fact]
    public async Task Kill_TheFirstTime_Answers202AndStopsTheRunWithTheReason()
    {
        await using var plane = await RunPlane.StartAsync();

        var answer = await plane.Client.PostAsync("/kill", """{"reason":"INC-123"}""", RunPlane.ControlToken);

        answer.AssertStatus(HttpStatusCode.Accepted);
        Assert.True(answer.Json.GetProperty("killSwitch").GetBoolean());
        Assert.Equal("INC-123", answer.Json.GetProperty("reason").GetString());
        Assert.Equal((StopReason.KillSwitch, "INC-123"), (plane.Control.Reason, plane.Control.Detail));
    }

    [Fact]
    public async Task Kill_ASecondTime_Answers200AndKeepsTheFirstReason()
    {
        await using var plane = await RunPlane.StartAsync();
        (await plane.Client.PostAsync("/kill", """{"reason":"first"}""", RunPlane.ControlToken)).AssertStatus(HttpStatusCode.Accepted);

        var answer = await plane.Client.PostAsync("/kill", null, RunPlane.ControlToken);

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal("first", answer.Json.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Kill_WithoutABody_UsesTheDefaultReason()
    {
        await using var plane = await RunPlane.StartAsync();

        (await plane.Client.PostAsync("/kill", null, RunPlane.ControlToken)).AssertStatus(HttpStatusCode.Accepted);

        Assert.Equal("kill switch engaged through POST /kill", plane.Control.Detail);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    [InlineData("CONTROL-TOKEN-FOR-PLANE-TESTS")]
    public async Task Kill_WithoutTheControlToken_Answers401ProblemAndChangesNothing(string? token)
    {
        await using var plane = await RunPlane.StartAsync();

        var answer = await plane.Client.PostAsync("/kill", "{}", token);

        answer.AssertProblemWithDetail(HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", answer.WwwAuthenticate);
        Assert.Null(plane.Control.Reason);
    }

    [Fact]
    public async Task Kill_WithTheChildsToken_Answers401()
    {
        // The child's token is for /cost only: a child must not be able to stop its own supervisor.
        await using var plane = await RunPlane.StartAsync();

        var answer = await plane.Client.PostAsync("/kill", "{}", plane.State.ChildToken);

        answer.AssertProblemWithDetail(HttpStatusCode.Unauthorized);
        Assert.Null(plane.Control.Reason);
    }

    [Theory]
    [InlineData("""{"scope":"galaxy"}""", "scope must be")]
    [InlineData("""{"scope":"fleet"}""", "needs a --budget-key")]
    [InlineData("""{"reason":1}""", "field 'reason' must be a string")]
    [InlineData("""{"reason":"x","extra":true}""", "unknown field 'extra'")]
    [InlineData("""{"reason":""", "malformed JSON")]
    [InlineData("[]", "the body must be a JSON object")]
    public async Task Kill_WithABadBody_Answers400ProblemAndChangesNothing(string body, string detail)
    {
        await using var plane = await RunPlane.StartAsync();

        var answer = await plane.Client.PostAsync("/kill", body, RunPlane.ControlToken);

        Assert.Contains(detail, answer.AssertProblemWithDetail(HttpStatusCode.BadRequest), StringComparison.Ordinal);
        Assert.Null(plane.Control.Reason);
    }

    [Fact]
    public async Task Kill_WithAReasonPastTheLimit_Answers400()
    {
        await using var plane = await RunPlane.StartAsync();

        var answer = await plane.Client.PostAsync("/kill", $$"""{"reason":"{{new string('r', Limits.MaxReasonLength + 1)}}"}""", RunPlane.ControlToken);

        Assert.Contains("longer than", answer.AssertProblemWithDetail(HttpStatusCode.BadRequest), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kill_WithFleetScope_EngagesTheAccountsKillSwitch()
    {
        await using var plane = await RunPlane.StartAsync(withBudgetKey: true);

        var answer = await plane.Client.PostAsync("/kill", """{"scope":"fleet","reason":"INC-9"}""", RunPlane.ControlToken);

        answer.AssertStatus(HttpStatusCode.Accepted);
        Assert.Equal((true, "INC-9"), (plane.Account!.KillSwitch.Engaged, plane.Account.KillSwitch.Reason));
        Assert.Equal(StopReason.KillSwitch, plane.Control.Reason);
    }

    [Fact]
    public async Task Kill_WhenTheLedgerIsDown_StillStopsTheRunAndAnswers202()
    {
        // An operator's kill must work in an outage: a run-scoped kill never touches the ledger.
        await using var plane = await RunPlane.StartAsync(withBudgetKey: true);
        plane.Switch.Mode = LedgerMode.Down;

        var answer = await plane.Client.PostAsync("/kill", """{"reason":"outage"}""", RunPlane.ControlToken);

        answer.AssertStatus(HttpStatusCode.Accepted);
        Assert.Equal(StopReason.KillSwitch, plane.Control.Reason);
    }

    [Fact]
    public async Task Kill_WithFleetScope_WhenTheLedgerIsDown_Answers503Problem_ButThisRunIsStopped()
    {
        await using var plane = await RunPlane.StartAsync(withBudgetKey: true);
        plane.Switch.Mode = LedgerMode.Down;

        var answer = await plane.Client.PostAsync("/kill", """{"scope":"fleet"}""", RunPlane.ControlToken);

        answer.AssertLedgerUnavailable();
        Assert.Equal(StopReason.KillSwitch, plane.Control.Reason);
        Assert.False(plane.Account!.KillSwitch.Engaged);
    }

    [Fact]
    public async Task Kill_WithFleetScope_AfterTheLedgerIsBack_EngagesTheFleetAndAnswers200()
    {
        await using var plane = await RunPlane.StartAsync(withBudgetKey: true);
        plane.Switch.Mode = LedgerMode.Down;
        (await plane.Client.PostAsync("/kill", """{"scope":"fleet"}""", RunPlane.ControlToken)).AssertLedgerUnavailable();

        plane.Switch.Mode = LedgerMode.Up;
        var answer = await plane.Client.PostAsync("/kill", """{"scope":"fleet"}""", RunPlane.ControlToken);

        answer.AssertStatus(HttpStatusCode.OK); // this run was already stopped by the first call
        Assert.True(plane.Account!.KillSwitch.Engaged);
    }
}
