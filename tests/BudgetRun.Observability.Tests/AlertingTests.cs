using System.Net;
using System.Net.Http.Headers;
using BudgetRun.Observability.Tests.Infrastructure;

namespace BudgetRun.Observability.Tests;

/// <summary>
/// The alerting path a user relies on, end to end with real servers: budget-run's metrics, scraped
/// by Prometheus with the shipped configuration and rules, alerts sent to Alertmanager, delivered
/// to a webhook receiver in the test.
/// </summary>
public sealed class AlertingTests : IDisposable
{
    private const string Workload = "alert-e2e";
    private const string ControlToken = "observability-tests-control-token";
    private static readonly TimeSpan _limit = TimeSpan.FromSeconds(60);

    private readonly Scratch _scratch = new();

    [Fact]
    public async Task SpendPast80Percent_ReachesTheAlertmanagerWebhook_WithTheRunsOwnWarning()
    {
        using var webhook = new WebhookReceiver();
        using var alertmanager = await AlertmanagerServer.StartAsync(_scratch, _scratch.Write("alertmanager.yml", $"""
            route:
              receiver: test
              group_by: [alertname, workload]
              group_wait: 1s
              group_interval: 1s
              repeat_interval: 1h
            receivers:
              - name: test
                webhook_configs:
                  - url: {webhook.Url}
                    send_resolved: false
            """));
        // A budget of 100 cents and a job that runs on; the test reports its spend as the job would.
        using var run = ObservedRun.Start(
        [
            "--listen", "127.0.0.1:0", "--name", Workload,
            "--max-attempts", "1", "--max-cost-cents", "100", "--kill-grace", "1s",
            "--", "sleep", "600",
        ], new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = ControlToken });
        var controlUrl = await run.ControlUrlAsync();
        using var prometheus = await PrometheusServer.StartAsync(_scratch, ShippedConfig.WritePrometheusConfig(_scratch,
            budgetRun: new Uri(controlUrl).Authority, alertmanager: alertmanager.Address, immediateAlerts: true));
        string Story() => $"--- budget-run ---\n{run.Log}\n--- prometheus ---\n{prometheus.Output}\n--- alertmanager ---\n{alertmanager.Output}";

        // Before the spend: the run is scraped, every rule has been evaluated, and nothing fires.
        await Poll.UntilAsync(async () => await prometheus.ValueAsync($"budget_run_budget_remaining_cents{{workload=\"{Workload}\"}}") == 100
                && await prometheus.RulesAsync() is { Count: > 0 } rules && rules.All(rule => rule.Health == "ok"),
            _limit, "the run to be scraped and the rules evaluated", Story);
        Assert.Empty(await prometheus.AlertsAsync());

        using (var request = new HttpRequestMessage(HttpMethod.Post, controlUrl + "/cost"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ControlToken);
            request.Content = new StringContent("""{"cents": 85}""", MediaTypeHeaderValue.Parse("application/json"));
            using var response = await Loopback.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var alert = await Poll.UntilAsync(() => Task.FromResult(webhook.Alerts.FirstOrDefault(a => a.Labels["alertname"] == "BudgetRunSpendAbove80Percent")),
            _limit, "BudgetRunSpendAbove80Percent at the webhook", Story);
        Assert.Equal("firing", alert.Status);
        Assert.Equal(Workload, alert.Labels["workload"]);
        Assert.Equal("warning", alert.Labels["severity"]);
        Assert.Equal($"budget-run {Workload} has used 85% of its budget", alert.Annotations["summary"]);
        Assert.Contains("exits 75", alert.Annotations["description"], StringComparison.Ordinal);
        // 85 of 100 cents is also past the run's own --warn-at-percent (default 80).
        var warning = await Poll.UntilAsync(() => Task.FromResult(webhook.Alerts.FirstOrDefault(a => a.Labels["alertname"] == "BudgetRunSpendWarning")),
            _limit, "BudgetRunSpendWarning at the webhook", Story);
        Assert.Equal((Workload, "warning"), (warning.Labels["workload"], warning.Labels["severity"]));
        Assert.Equal($"budget-run {Workload} has reached its --warn-at-percent spend", warning.Annotations["summary"]);
        // 15 cents remain: not exhausted, and nothing else is wrong with the run.
        Assert.All(webhook.Alerts, a => Assert.Contains(a.Labels["alertname"], new[] { "BudgetRunSpendAbove80Percent", "BudgetRunSpendWarning" }));
    }

    public void Dispose() => _scratch.Dispose();
}
