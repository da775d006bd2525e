using System.Net;

namespace BudgetRun.Cli.Tests.ControlPlane;

/// <summary>The metric values after a known run, read from the exposition text.</summary>
public sealed class MetricsTests : ControlPlaneTest
{
    [Fact]
    public async Task Metrics_AfterThreeFailedAttemptsAt25Cents_CountThemTheirCostAndTheWait()
    {
        // Backoffs of 0.4s, 0.8s, then 1.6s: the scrape happens in the last one, before attempt 4.
        using var run = Start([.. Loopback, "--name", "nightly-etl", "--max-attempts", "4", "--max-cost-cents", "200",
            "--cost-per-attempt-cents", "25", "--base-delay", "400ms", "--max-delay", "10s",
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "3")],
            new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = ControlToken });
        using var client = await ControlPlaneClient.ConnectAsync(run);
        await Wait.UntilAsync(() => Scratch.Count("attempts") == 3, TimeSpan.FromSeconds(15), "the third attempt", run);
        await WaitForStateAsync(client, run, "backingOff");

        var metrics = await client.MetricsAsync();
        var after = await StatusSnapshot.TakeAsync(client);

        Assert.True(after is { Attempt: 3, State: "backingOff" },
            $"attempt 4 started before the scrape ended ({after}); the test machine is too slow for a 1.6s window");
        Assert.Equal(3, metrics.Value("budget_run_attempts_total", "outcome=failure"));
        foreach (var outcome in new[] { "success", "timeout", "killed", "signal", "start_error" })
        {
            Assert.Equal(0, metrics.Value("budget_run_attempts_total", $"outcome={outcome}"));
        }
        Assert.Equal(75, metrics.Value("budget_run_cost_cents_total"));
        Assert.Equal(200, metrics.Value("budget_run_budget_cents"));
        Assert.Equal(125, metrics.Value("budget_run_budget_remaining_cents"));
        Assert.Equal(3, metrics.Value("budget_run_last_exit_code"));
        Assert.Equal(3, metrics.Value("budget_run_attempt_duration_seconds_count"));
        Assert.Equal(3, metrics.Value("budget_run_attempt_duration_seconds_bucket", "le=+Inf"));
        Assert.InRange(metrics.Value("budget_run_attempt_duration_seconds_sum"), 0.000_001, 30);
        Assert.Equal(0, metrics.Value("budget_run_child_running"));
        Assert.Equal(1.6, metrics.Value("budget_run_backoff_seconds"), 6);
        Assert.Equal(0, metrics.Value("budget_run_kill_switch_engaged"));
        Assert.Equal(0, metrics.Value("budget_run_ledger_errors_total"));
        Assert.All(metrics.Samples, sample => Assert.Equal("nightly-etl", sample.Labels.GetValueOrDefault("workload")));
        var buckets = metrics.Samples.Where(sample => sample.Name == "budget_run_attempt_duration_seconds_bucket").Select(sample => sample.Value).ToList();
        Assert.Equal(buckets.Order(), buckets);

        (await client.PostAsync("/kill", null, ControlToken)).AssertStatus(HttpStatusCode.Accepted);
        (await run.WaitAsync()).AssertExitCode(77);
        Assert.Equal(3, Scratch.Count("attempts"));
    }
}
