using System.Diagnostics;
using System.Net;

namespace BudgetRun.Cli.Tests.ControlPlane;

/// <summary><c>POST /cost</c>: reported spend adds to the per-attempt cost, in /status, /metrics and the answer.</summary>
public sealed class CostTests : ControlPlaneTest
{
    [Fact]
    public async Task Cost_AddsToSpend_AndAnswersSpentAndRemaining_CountingTheRunningAttemptsReservation()
    {
        using var run = Start([.. Loopback, "--max-attempts", "1", "--max-cost-cents", "1000", "--cost-per-attempt-cents", "25",
            "--", .. EnvDumpingChild("--pid-file", Scratch.Path("child.pid"), "sleep", "600000")],
            new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = ControlToken });
        using var client = await ControlPlaneClient.ConnectAsync(run);
        var childToken = (await ChildEnvironmentAsync(run))["BUDGET_RUN_TOKEN"];
        await Wait.ForPidAsync(Scratch.Path("child.pid"), run);

        var fromChild = await client.PostAsync("/cost", "{\"cents\": 10}", childToken);
        var fromOperator = await client.PostAsync("/cost", "{\"cents\": 7}", ControlToken);
        var status = await client.StatusAsync();
        var metrics = await client.MetricsAsync();

        fromChild.AssertStatus(HttpStatusCode.OK);
        Assert.Equal("application/json", fromChild.MediaType);
        Assert.Equal(10, Field(fromChild.Json, "spentCents").GetInt64());
        Assert.Equal(1000 - 10 - 25, Field(fromChild.Json, "remainingCents").GetInt64());
        fromOperator.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(17, Field(fromOperator.Json, "spentCents").GetInt64());
        Assert.Equal(1000 - 17 - 25, Field(fromOperator.Json, "remainingCents").GetInt64());
        Assert.Equal(17, Field(status, "spentCents").GetInt64());
        Assert.Equal(25, Field(status, "reservedCents").GetInt64());
        Assert.Equal(958, Field(status, "remainingCents").GetInt64());
        Assert.Equal(17, metrics.Value("budget_run_cost_cents_total"));
        Assert.Equal(958, metrics.Value("budget_run_budget_remaining_cents"));
        Assert.False(run.HasExited, run.StderrSoFar);
    }

    [Fact]
    public async Task Cost_WithABodyOfExactly64KiB_IsAccepted()
    {
        using var run = Start([.. Loopback, "--max-attempts", "1", "--max-cost-cents", "1000",
            "--", .. Child("--pid-file", Scratch.Path("child.pid"), "sleep", "600000")],
            new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = ControlToken });
        using var client = await ControlPlaneClient.ConnectAsync(run);
        var body = "{\"cents\": 6}";
        body += new string(' ', 64 * 1024 - body.Length);

        var answer = await client.PostAsync("/cost", body, ControlToken);

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(6, Field(answer.Json, "spentCents").GetInt64());
    }

    [Fact]
    public async Task Cost_DuringBackoff_ThatLeavesLessThanAnAttempt_EndsTheRunWith75_WithoutWaitingOutTheBackoff()
    {
        // README, "The budget rule": no backoff wait before an attempt that cannot run.
        using var run = Start([.. Loopback, "--max-attempts", "3", "--max-cost-cents", "100", "--cost-per-attempt-cents", "25",
            "--base-delay", "8s", "--max-delay", "8s", "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")],
            new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = ControlToken });
        using var client = await ControlPlaneClient.ConnectAsync(run);
        await WaitForStateAsync(client, run, "backingOff");

        var clock = Stopwatch.StartNew();
        (await client.PostAsync("/cost", "{\"cents\": 60}", ControlToken)).AssertStatus(HttpStatusCode.OK);
        var ended = await Wait.ForAsync(() => run.HasExited, TimeSpan.FromSeconds(3));

        Assert.True(ended, $"budget-run still waited out its 8s backoff {clock.Elapsed.TotalSeconds:0.###}s after /cost left 15 cents for a 25-cent attempt\n--- stderr ---\n{run.StderrSoFar}");
        var result = await run.WaitAsync();
        result.AssertExitCode(75);
        Assert.Equal(1, Scratch.Count("attempts"));
    }

    [Fact]
    public async Task Cost_ConcurrentReports_AreEachCountedOnce()
    {
        using var run = Start([.. Loopback, "--max-attempts", "1", "--max-cost-cents", "100000",
            "--", .. EnvDumpingChild("sleep", "600000")]);
        using var client = await ControlPlaneClient.ConnectAsync(run);
        var childToken = (await ChildEnvironmentAsync(run))["BUDGET_RUN_TOKEN"];

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => client.PostAsync("/cost", "{\"cents\": 3}", childToken)));
        var status = await client.StatusAsync();
        var metrics = await client.MetricsAsync();

        Assert.All(answers, answer => answer.AssertStatus(HttpStatusCode.OK));
        Assert.Equal(Enumerable.Range(1, 40).Select(i => 3L * i), answers.Select(answer => Field(answer.Json, "spentCents").GetInt64()).Order());
        Assert.Equal(120, Field(status, "spentCents").GetInt64());
        Assert.Equal(120, metrics.Value("budget_run_cost_cents_total"));
    }

    [Fact]
    public async Task Cost_ReachingTheBudgetDuringBackoff_Is402_AndEndsTheRunAtOnceWith75()
    {
        var report = Scratch.Path("report.json");
        using var run = Start([.. Loopback, "--max-attempts", "3", "--max-cost-cents", "100", "--cost-per-attempt-cents", "25",
            "--base-delay", "30s", "--max-delay", "30s", "--report", report, "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")],
            new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = ControlToken });
        using var client = await ControlPlaneClient.ConnectAsync(run);
        await WaitForStateAsync(client, run, "backingOff");

        var clock = Stopwatch.StartNew();
        var answer = await client.PostAsync("/cost", "{\"cents\": 75}", ControlToken);
        var result = await run.WaitAsync();

        answer.AssertStatus(HttpStatusCode.PaymentRequired);
        Assert.Equal(100, Field(answer.Json, "spentCents").GetInt64());
        Assert.Equal(0, Field(answer.Json, "remainingCents").GetInt64());
        result.AssertExitCode(75);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"budget-run took {clock.Elapsed.TotalSeconds:0.###}s to stop\n{result}");
        Assert.Equal(1, Scratch.Count("attempts"));
        var loaded = RunReport.Load(report);
        Assert.Equal("budgetExhausted", loaded.Outcome);
        Assert.Equal(100, loaded.CostCents);
    }
}
