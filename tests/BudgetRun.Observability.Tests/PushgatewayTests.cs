using System.Net;
using System.Net.Sockets;
using BudgetRun.Observability.Tests.Infrastructure;

namespace BudgetRun.Observability.Tests;

/// <summary>Batch runs and the Pushgateway: the final values reach a real gateway, and a gateway that fails never fails the run.</summary>
public sealed class PushgatewayTests(PushedRunFixture fixture) : IClassFixture<PushedRunFixture>, IDisposable
{
    private const string Workload = PushedRunFixture.Workload;
    private static readonly TimeSpan _limit = TimeSpan.FromSeconds(30);

    private readonly Scratch _scratch = new();

    [Fact]
    public async Task ShortRun_LeavesItsFinalValuesOnTheGateway_GroupedByJobWorkloadAndInstance()
    {
        Assert.True(fixture.ExitCode == 1, $"budget-run exited {fixture.ExitCode}, expected the child's 1\n{fixture.Log}");

        var group = Assert.Single(await fixture.Gateway.GroupsAsync(), g => g.TryGetValue("workload", out var w) && w == Workload);
        Assert.Equal(
            new Dictionary<string, string> { ["job"] = "budget-run", ["instance"] = Environment.MachineName, ["workload"] = Workload },
            group);

        var metrics = await fixture.Gateway.MetricsAsync();
        (string, string)[] key = [("job", "budget-run"), ("instance", Environment.MachineName), ("workload", Workload)];
        Assert.Equal(3, metrics.Value("budget_run_attempts_total", [.. key, ("outcome", "failure")]));
        Assert.Equal(0, metrics.Value("budget_run_attempts_total", [.. key, ("outcome", "success")]));
        Assert.Equal(75, metrics.Value("budget_run_cost_cents_total", key));
        Assert.Equal(200, metrics.Value("budget_run_budget_cents", key));
        Assert.Equal(125, metrics.Value("budget_run_budget_remaining_cents", key));
        Assert.Equal(0, metrics.Value("budget_run_child_running", key));
        Assert.Equal(0, metrics.Value("budget_run_backoff_seconds", key));
        Assert.Equal(1, metrics.Value("budget_run_last_exit_code", key));
        Assert.Equal(3, metrics.Value("budget_run_attempt_duration_seconds_count", key));
    }

    [Fact]
    public async Task PushedValues_ReachPrometheusThroughTheShippedGatewayJob_WithTheRunsOwnLabels()
    {
        using var prometheus = await PrometheusServer.StartAsync(_scratch,
            ShippedConfig.WritePrometheusConfig(_scratch, pushgateway: fixture.Gateway.Address));

        // honor_labels: the pushed job and instance, not the gateway's ("pushgateway", its address).
        var series = await Poll.UntilAsync(async () => await prometheus.QueryAsync($"budget_run_cost_cents_total{{workload=\"{Workload}\"}}") is [var single] ? single : null,
            _limit, "the pushed cost series in Prometheus", () => $"--- prometheus ---\n{prometheus.Output}");
        Assert.Equal(75, series.Value);
        Assert.Equal("budget-run", series.Labels["job"]);
        Assert.Equal(Environment.MachineName, series.Labels["instance"]);
        Assert.Equal(3, await prometheus.ValueAsync($"budget_run_attempts_total{{workload=\"{Workload}\",outcome=\"failure\"}}"));
    }

    [Fact]
    public async Task LastSuccess_IsPushedBySucceedingRuns_AndAFailedRunLeavesItOnTheGateway()
    {
        const string liveness = "push-liveness";
        (string, string)[] key = [("job", "budget-run"), ("instance", Environment.MachineName), ("workload", liveness)];
        async Task<int> RunAsync(int exitCode)
        {
            using var run = ObservedRun.Start(
            [
                "--pushgateway", fixture.Gateway.BaseUrl, "--push-interval", "1m", "--name", liveness,
                "--max-attempts", "1", "--", "sh", "-c", $"exit {exitCode}",
            ]);
            return await run.WaitForExitAsync(_limit);
        }

        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.Equal(0, await RunAsync(0));
        var afterSuccess = (await fixture.Gateway.MetricsAsync()).Value("budget_run_last_success_timestamp_seconds", key);
        Assert.Equal(3, await RunAsync(3));
        var metrics = await fixture.Gateway.MetricsAsync();

        Assert.NotNull(afterSuccess);
        Assert.InRange(afterSuccess.Value, before - 1, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Equal(3, metrics.Value("budget_run_last_exit_code", key)); // the failed run's push landed...
        Assert.Equal(afterSuccess, metrics.Value("budget_run_last_success_timestamp_seconds", key)); // ...and kept the success
    }

    [Fact]
    public async Task RunWithGatewayDown_ExitsWithItsOwnCode_AndLogsThePushFailures()
    {
        var closedPort = Ports.FreeLoopback(); // nothing listens there: every push is refused
        using var run = ObservedRun.Start(
        [
            "--pushgateway", $"http://127.0.0.1:{closedPort}", "--push-interval", "1s", "--name", "push-down",
            "--max-attempts", "2", "--base-delay", "50ms", "--", "sh", "-c", "exit 3",
        ]);

        var code = await run.WaitForExitAsync(_limit);

        Assert.True(code == 3, $"budget-run exited {code}, expected the child's 3\n{run.Log}");
        Assert.Contains($"pushing metrics to http://127.0.0.1:{closedPort}", run.Log, StringComparison.Ordinal);
        Assert.Contains("run ended: attemptsExhausted (exit 3)", run.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunWithUnresponsiveGateway_StillEndsPromptly()
    {
        // A gateway that accepts connections and never answers (a hung server, a black-holed proxy).
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        using var run = ObservedRun.Start(
        [
            "--pushgateway", $"http://127.0.0.1:{port}", "--push-interval", "1s", "--name", "push-hung",
            "--max-attempts", "1", "--", "sh", "-c", "exit 3",
        ]);

        // A push may delay the end of the run by a bounded time, never by minutes: a Kubernetes
        // pod gets 30 s between SIGTERM and SIGKILL, and the report is written after the last push.
        var code = await run.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.True(code == 3, $"budget-run exited {code}, expected the child's 3\n{run.Log}");
    }

    [Fact]
    public async Task PushOnlyRun_OpensNoControlPlaneSocket()
    {
        // --pushgateway without --listen: metrics are pushed, nothing listens, the child gets no URL.
        var closedPort = Ports.FreeLoopback();
        using var run = ObservedRun.Start(
        [
            "--pushgateway", $"http://127.0.0.1:{closedPort}", "--name", "push-only",
            "--max-attempts", "1", "--", "sh", "-c", "test -z \"$BUDGET_RUN_URL\"",
        ]);

        var code = await run.WaitForExitAsync(_limit);

        Assert.DoesNotContain("control plane listening", run.Log, StringComparison.Ordinal);
        Assert.True(code == 0, $"the child saw BUDGET_RUN_URL (or budget-run failed: exit {code})\n{run.Log}");
    }

    public void Dispose() => _scratch.Dispose();
}
