using System.Net;
using BudgetRun.ControlPlane.Tests.Fakes;
using BudgetRun.ControlPlane.Tests.Infrastructure;
using BudgetRun.Engine;

namespace BudgetRun.ControlPlane.Tests.Control;

/// <summary><c>POST /cost</c>: 200 with the budget after it, 402 once it is spent, 400, 401, and 503 when the spend cannot be recorded.</summary>
public sealed class CostTests
{
    [Fact]
    public async Task Cost_WithTheChildsToken_Answers200WithWhatIsSpentAndLeft()
    {
        await using var plane = await RunPlane.StartAsync(budgetCents: 1000, attemptCents: 100);

        var answer = await plane.Client.PostAsync("/cost", """{"cents":42}""", plane.State.ChildToken);

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal((42, 958), (answer.Json.GetProperty("spentCents").GetInt64(), answer.Json.GetProperty("remainingCents").GetInt64()));
        Assert.Null(plane.Control.Reason);
    }

    [Fact]
    public async Task Cost_WithTheControlToken_Answers200()
    {
        await using var plane = await RunPlane.StartAsync();

        (await plane.Client.PostAsync("/cost", """{"cents":1}""", RunPlane.ControlToken)).AssertStatus(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-token")]
    public async Task Cost_WithoutAToken_Answers401ProblemAndRecordsNothing(string? token)
    {
        await using var plane = await RunPlane.StartAsync();

        var answer = await plane.Client.PostAsync("/cost", """{"cents":42}""", token);

        answer.AssertProblemWithDetail(HttpStatusCode.Unauthorized);
        Assert.Equal(0, (await plane.Ledger.SnapshotAsync(CancellationToken.None)).SpentCents);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("{}")]
    [InlineData("""{"cents":0}""")]
    [InlineData("""{"cents":-5}""")]
    [InlineData("""{"cents":1.5}""")]
    [InlineData("""{"cents":"5"}""")]
    [InlineData("""{"cents":1000000000001}""")]
    [InlineData("""{"cents":5,"currency":"EUR"}""")]
    [InlineData("not json")]
    public async Task Cost_WithABadBody_Answers400ProblemAndRecordsNothing(string? body)
    {
        await using var plane = await RunPlane.StartAsync();

        var answer = await plane.Client.PostAsync("/cost", body, plane.State.ChildToken);

        answer.AssertProblemWithDetail(HttpStatusCode.BadRequest);
        Assert.Equal(0, (await plane.Ledger.SnapshotAsync(CancellationToken.None)).SpentCents);
    }

    [Fact]
    public async Task Cost_WithABodyPast64KiB_Answers400()
    {
        await using var plane = await RunPlane.StartAsync();

        var answer = await plane.Client.PostAsync("/cost", $$"""{"cents":1,"pad":"{{new string(' ', 70 * 1024)}}"}""", plane.State.ChildToken);

        Assert.Contains("larger than 64 KiB", answer.AssertProblemWithDetail(HttpStatusCode.BadRequest), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cost_ThatSpendsTheBudget_Answers402AndStopsTheRun()
    {
        await using var plane = await RunPlane.StartAsync(budgetCents: 100, attemptCents: 10);

        var answer = await plane.Client.PostAsync("/cost", """{"cents":100}""", plane.State.ChildToken);

        answer.AssertStatus(HttpStatusCode.PaymentRequired);
        Assert.Equal((100, 0), (answer.Json.GetProperty("spentCents").GetInt64(), answer.Json.GetProperty("remainingCents").GetInt64()));
        Assert.Equal(StopReason.BudgetExhausted, plane.Control.Reason);
    }

    [Fact]
    public async Task Cost_ThatLeavesTooLittleForAnotherAttempt_Answers200AndEndsTheRun()
    {
        await using var plane = await RunPlane.StartAsync(budgetCents: 100, attemptCents: 50);

        var answer = await plane.Client.PostAsync("/cost", """{"cents":60}""", plane.State.ChildToken);

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(StopReason.BudgetExhausted, plane.Control.Reason);
    }

    [Fact]
    public async Task Cost_IsCountedInTheCostMetric()
    {
        await using var plane = await RunPlane.StartAsync();

        await plane.Client.PostAsync("/cost", """{"cents":17}""", plane.State.ChildToken);
        var metrics = await plane.Client.MetricsAsync();

        Assert.Equal(17, metrics.Value(MetricNames.Cost));
    }

    [Fact]
    public async Task Cost_WhenTheLedgerIsDown_Answers503ProblemAndCountsNothing()
    {
        await using var plane = await RunPlane.StartAsync();
        plane.Switch.Mode = LedgerMode.Down;

        var answer = await plane.Client.PostAsync("/cost", """{"cents":42}""", plane.State.ChildToken);

        answer.AssertLedgerUnavailable();
        Assert.Equal(0, plane.Budget.RunSpentCents);
        Assert.Null(plane.Control.Reason);
        plane.Switch.Mode = LedgerMode.Up;
        Assert.Equal(0, (await plane.Client.MetricsAsync()).Value(MetricNames.Cost));
    }

    [Fact]
    public async Task Cost_AfterTheLedgerIsBack_Answers200AndRecordsTheSpend()
    {
        await using var plane = await RunPlane.StartAsync();
        plane.Switch.Mode = LedgerMode.TimingOut;
        (await plane.Client.PostAsync("/cost", """{"cents":42}""", plane.State.ChildToken)).AssertLedgerUnavailable();

        plane.Switch.Mode = LedgerMode.Up;
        var answer = await plane.Client.PostAsync("/cost", """{"cents":42}""", plane.State.ChildToken);

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(42, answer.Json.GetProperty("spentCents").GetInt64());
    }
}
