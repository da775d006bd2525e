using System.Net;
using System.Text.Json;

namespace BudgetRun.Cli.Tests.ControlPlane;

/// <summary>The read-only endpoints while a run is in progress: /metrics, /healthz and /status.</summary>
public sealed class EndpointTests : ControlPlaneTest
{
    private static readonly string[] _statusFields =
    [
        "state", "workload", "attempt", "maxAttempts", "spentCents", "reservedCents", "budgetCents", "remainingCents",
        "nextAttemptAt", "killSwitch", "killReason", "childPid", "budgetKey", "windowEndsAt",
    ];

    [Fact]
    public async Task Status_WhileTheChildRuns_HasEveryFieldWithItsTypeAndTheRealChildPid()
    {
        var pidFile = Scratch.Path("child.pid");
        using var run = Start([.. Loopback, "--max-attempts", "5", "--max-cost-cents", "300", "--cost-per-attempt-cents", "40",
            "--", .. Child("--pid-file", pidFile, "sleep", "600000")]);
        using var client = await ControlPlaneClient.ConnectAsync(run);
        var child = await Wait.ForPidAsync(pidFile, run);

        var answer = await client.GetAsync("/status");

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal("application/json", answer.MediaType);
        var status = answer.Json;
        Assert.Equal(_statusFields.Order(), status.EnumerateObject().Select(property => property.Name).Order());
        Assert.Equal("running", Field(status, "state").GetString());
        Assert.Equal("test-child", Field(status, "workload").GetString());
        Assert.Equal(1, Field(status, "attempt").GetInt32());
        Assert.Equal(5, Field(status, "maxAttempts").GetInt32());
        Assert.Equal(0, Field(status, "spentCents").GetInt64());
        Assert.Equal(40, Field(status, "reservedCents").GetInt64());
        Assert.Equal(300, Field(status, "budgetCents").GetInt64());
        Assert.Equal(260, Field(status, "remainingCents").GetInt64());
        Assert.Equal(JsonValueKind.Null, Field(status, "nextAttemptAt").ValueKind);
        Assert.Equal(JsonValueKind.False, Field(status, "killSwitch").ValueKind);
        Assert.Equal(JsonValueKind.Null, Field(status, "killReason").ValueKind);
        Assert.Equal(JsonValueKind.Number, Field(status, "childPid").ValueKind);
        Assert.Equal(child, Field(status, "childPid").GetInt32());
        Assert.Equal(JsonValueKind.Null, Field(status, "budgetKey").ValueKind);
        Assert.Equal(JsonValueKind.Null, Field(status, "windowEndsAt").ValueKind);
    }

    [Fact]
    public async Task StatusMetricsAndHealth_WhileBackingOff_ShowTheWaitAndNoChild()
    {
        using var run = Start([.. Loopback, "--max-attempts", "3", "--max-cost-cents", "100", "--cost-per-attempt-cents", "30",
            "--base-delay", "20s", "--max-delay", "20s", "--", .. Child("--count", Scratch.Path("attempts"), "exit", "4")]);
        using var client = await ControlPlaneClient.ConnectAsync(run);
        await WaitForStateAsync(client, run, "backingOff");

        var now = DateTimeOffset.UtcNow;
        var status = await client.StatusAsync();
        var metrics = await client.MetricsAsync();
        var health = await client.GetAsync("/healthz");

        Assert.Equal(1, Field(status, "attempt").GetInt32());
        Assert.Equal(JsonValueKind.Null, Field(status, "childPid").ValueKind);
        Assert.Equal(30, Field(status, "spentCents").GetInt64());
        Assert.Equal(0, Field(status, "reservedCents").GetInt64());
        Assert.Equal(70, Field(status, "remainingCents").GetInt64());
        var next = Field(status, "nextAttemptAt").GetDateTimeOffset();
        Assert.InRange(next, now.AddSeconds(15), now.AddSeconds(21));
        Assert.Equal(20, metrics.Value("budget_run_backoff_seconds"));
        Assert.Equal(0, metrics.Value("budget_run_child_running"));
        Assert.Equal(4, metrics.Value("budget_run_last_exit_code"));
        health.AssertStatus(HttpStatusCode.OK);
        Assert.Equal("ok", Field(health.Json, "status").GetString());
        Assert.Equal(1, Scratch.Count("attempts"));
    }

    [Fact]
    public async Task Metrics_WhileTheChildRuns_AreTheFullFamilyLabelledWithTheCommandsFileName()
    {
        var pidFile = Scratch.Path("child.pid");
        using var run = Start([.. Loopback, "--max-cost-cents", "500", "--cost-per-attempt-cents", "20",
            "--", .. Child("--pid-file", pidFile, "sleep", "600000")]);
        using var client = await ControlPlaneClient.ConnectAsync(run);
        await Wait.ForPidAsync(pidFile, run);

        var answer = await client.GetAsync("/metrics");
        var health = await client.GetAsync("/healthz");

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal("text/plain", answer.MediaType);
        Assert.Contains("version=0.0.4", answer.Headers["Content-Type"], StringComparison.Ordinal);
        var metrics = PrometheusText.Parse(answer.Body);
        var expectedTypes = new Dictionary<string, string>
        {
            ["budget_run_attempts_total"] = "counter",
            ["budget_run_cost_cents_total"] = "counter",
            ["budget_run_budget_cents"] = "gauge",
            ["budget_run_budget_remaining_cents"] = "gauge",
            ["budget_run_attempt_duration_seconds"] = "histogram",
            ["budget_run_backoff_seconds"] = "gauge",
            ["budget_run_child_running"] = "gauge",
            ["budget_run_kill_switch_engaged"] = "gauge",
            ["budget_run_last_exit_code"] = "gauge",
            ["budget_run_ledger_errors_total"] = "counter",
        };
        foreach (var (name, type) in expectedTypes)
        {
            Assert.True(metrics.Types.TryGetValue(name, out var actual) && actual == type, $"{name} is not a {type}\n{metrics.Text}");
        }
        Assert.All(metrics.Samples, sample => Assert.Equal("test-child", sample.Labels.GetValueOrDefault("workload")));
        foreach (var outcome in new[] { "success", "failure", "timeout", "killed", "signal", "start_error" })
        {
            Assert.Equal(0, metrics.Value("budget_run_attempts_total", $"outcome={outcome}"));
        }
        Assert.Equal(1, metrics.Value("budget_run_child_running"));
        Assert.Equal(500, metrics.Value("budget_run_budget_cents"));
        Assert.Equal(480, metrics.Value("budget_run_budget_remaining_cents"));
        Assert.Equal(0, metrics.Value("budget_run_cost_cents_total"));
        Assert.Equal(0, metrics.Value("budget_run_backoff_seconds"));
        Assert.Equal(0, metrics.Value("budget_run_kill_switch_engaged"));
        Assert.Equal(0, metrics.Value("budget_run_attempt_duration_seconds_count"));
        health.AssertStatus(HttpStatusCode.OK);
        Assert.Equal("application/json", health.MediaType);
    }
}
