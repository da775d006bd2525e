using System.Net;
using BudgetRun.ControlPlane.Tests.Fakes;
using BudgetRun.ControlPlane.Tests.Infrastructure;

namespace BudgetRun.ControlPlane.Tests;

/// <summary>
/// <c>GET</c> and <c>HEAD /metrics</c> of both planes. Under a ledger fault the scrape still
/// answers 200: the budget gauges keep their last values, and the fault shows where it is counted
/// (<c>budget_run_ledger_errors_total</c>). A 503 would make Prometheus mark the target down and
/// hide that counter exactly while it matters; the scrape must never be an empty 500.
/// </summary>
public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Metrics_OfARun_Answers200PrometheusTextWithTheBudget()
    {
        await using var plane = await RunPlane.StartAsync(budgetCents: 500, attemptCents: 50);

        var answer = await plane.Client.GetAsync("/metrics");

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal("text/plain", answer.MediaType);
        Assert.Equal("no-store", answer.Headers["Cache-Control"]);
        var metrics = PrometheusText.Parse(answer.Body);
        Assert.Equal(500, metrics.Value(MetricNames.Budget, $"workload={PlaneHost.Workload}"));
        Assert.Equal(500, metrics.Value(MetricNames.Remaining));
    }

    [Fact]
    public async Task Metrics_OfTheSidecar_Answers200PrometheusTextWithTheAccount()
    {
        await using var plane = await SidecarPlane.StartAsync(limitCents: 100);
        await plane.Ledger.ReserveAsync(40, CancellationToken.None);

        var metrics = await plane.Client.MetricsAsync();

        Assert.Equal((100, 60), (metrics.Value(MetricNames.Budget), metrics.Value(MetricNames.Remaining)));
    }

    [Fact]
    public async Task Metrics_Head_Answers200WithTheContentTypeAndNoBody_WithoutReadingTheLedger()
    {
        await using var plane = await RunPlane.StartAsync();
        plane.Switch.Mode = LedgerMode.Broken;

        var answer = await plane.Client.SendAsync(HttpMethod.Head, "/metrics");

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(("text/plain", ""), (answer.MediaType, answer.Body));
    }

    [Theory]
    [InlineData(LedgerMode.Down)]
    [InlineData(LedgerMode.TimingOut)]
    public async Task Metrics_OfARun_WhenTheLedgerIsDown_Answers200WithTheLastKnownBudget(LedgerMode mode)
    {
        await using var plane = await RunPlane.StartAsync(budgetCents: 500);
        await plane.Client.MetricsAsync(); // the gauges read the ledger once while it answered
        await plane.Ledger.RecordSpendAsync(100, CancellationToken.None);
        plane.Switch.Mode = mode;

        var answer = await plane.Client.GetAsync("/metrics");

        answer.AssertStatus(HttpStatusCode.OK);
        var metrics = PrometheusText.Parse(answer.Body);
        Assert.Equal((500, 500), (metrics.Value(MetricNames.Budget), metrics.Value(MetricNames.Remaining)));
        Assert.Equal(0, metrics.Value(MetricNames.Attempts, "outcome=success"));
    }

    [Fact]
    public async Task Metrics_OfARun_WhenTheLedgerIsDown_StillShowsAKillSwitchEngagedMeanwhile()
    {
        // The kill switch gauge is the run's own state, not the ledger's: an operator who kills a
        // run during an outage must see it on the dashboard.
        await using var plane = await RunPlane.StartAsync();
        plane.Switch.Mode = LedgerMode.Down;
        (await plane.Client.PostAsync("/kill", null, RunPlane.ControlToken)).AssertStatus(HttpStatusCode.Accepted);

        var metrics = await plane.Client.MetricsAsync();

        Assert.Equal(1, metrics.Value(MetricNames.KillSwitch));
    }

    [Fact]
    public async Task Metrics_OfTheSidecar_WhenTheLedgerIsDown_Answers200()
    {
        await using var plane = await SidecarPlane.StartAsync();
        plane.Switch.Mode = LedgerMode.Down;

        var metrics = await plane.Client.MetricsAsync();

        Assert.Equal(0, metrics.Value(MetricNames.LedgerErrors));
    }

    [Fact]
    public async Task Metrics_AfterTheLedgerIsBack_ShowTheBudgetAsItIsNow()
    {
        await using var plane = await RunPlane.StartAsync(budgetCents: 500);
        plane.Switch.Mode = LedgerMode.Down;
        await plane.Client.MetricsAsync();
        plane.Switch.Mode = LedgerMode.Up;
        await plane.Ledger.RecordSpendAsync(120, CancellationToken.None);

        var metrics = await plane.Client.MetricsAsync();

        Assert.Equal(380, metrics.Value(MetricNames.Remaining));
    }

    [Fact]
    public async Task Metrics_WhenTheLedgerHasABug_Answers200AndLogsNothingAsAnEndpointFailure()
    {
        await using var plane = await RunPlane.StartAsync();
        plane.Switch.Mode = LedgerMode.Broken;

        (await plane.Client.GetAsync("/metrics")).AssertStatus(HttpStatusCode.OK);
        Assert.Empty(plane.Host.Logs.Of<EndpointErrors>());
    }
}
