using System.Diagnostics;
using System.Net;
using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests.ControlPlane;

/// <summary>
/// Reported spend that reaches the budget: 402, the attempt stopped (grace, then SIGKILL), no
/// further attempt, exit 75. Timed, so serial.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class CostBudgetTimingTests : ControlPlaneTest
{
    private static readonly TimeSpan _grace = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Cost_ReachingTheBudget_Is402_StopsTheAttemptAfterTheGrace_NoFurtherAttempt_Exits75()
    {
        var report = Scratch.Path("report.json");
        var pidFile = Scratch.Path("child.pid");
        using var run = Start([.. Loopback, "--max-attempts", "3", "--max-cost-cents", "100", "--cost-per-attempt-cents", "25",
            "--base-delay", "10ms", "--kill-grace", "500ms", "--report", report,
            "--", .. EnvDumpingChild("--count", Scratch.Path("attempts"), "--pid-file", pidFile, "ignore-sigterm", "600000")]);
        using var client = await ControlPlaneClient.ConnectAsync(run);
        var childToken = (await ChildEnvironmentAsync(run))["BUDGET_RUN_TOKEN"];
        var child = await Wait.ForPidAsync(pidFile, run);

        var underBudget = await client.PostAsync("/cost", "{\"cents\": 50}", childToken);
        var clock = Stopwatch.StartNew();
        var atBudget = await client.PostAsync("/cost", "{\"cents\": 25}", childToken);
        var health = await client.GetAsync("/healthz");
        var status = await client.StatusAsync();
        var dead = await Wait.ForDeathAsync(child, _grace + TimeSpan.FromSeconds(5));
        var diedAfter = clock.Elapsed;
        var result = await run.WaitAsync();

        underBudget.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(50, Field(underBudget.Json, "spentCents").GetInt64());
        Assert.Equal(25, Field(underBudget.Json, "remainingCents").GetInt64());
        atBudget.AssertStatus(HttpStatusCode.PaymentRequired);
        Assert.Equal(0, Field(atBudget.Json, "remainingCents").GetInt64());
        Assert.Equal(75, Field(atBudget.Json, "spentCents").GetInt64());
        health.AssertStatus(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("stopping", Field(status, "state").GetString());
        Assert.False(Field(status, "killSwitch").GetBoolean(), status.ToString());
        Assert.Equal(0, Field(status, "remainingCents").GetInt64());

        Assert.True(dead, $"the child {child} was still alive {diedAfter.TotalSeconds:0.###}s after the budget was reached\n{result}");
        Assert.True(diedAfter >= _grace - TimeSpan.FromMilliseconds(50),
            $"the child that ignores SIGTERM died {diedAfter.TotalMilliseconds:0}ms after the 402, within the {_grace.TotalMilliseconds}ms grace\n{result}");
        result.AssertExitCode(75).AssertNoStackTrace();
        Assert.Equal(1, Scratch.Count("attempts"));
        Assert.Contains("budgetExhausted (exit 75)", result.StderrLines[^1], StringComparison.Ordinal);
        var loaded = RunReport.Load(report);
        Assert.Equal("budgetExhausted", loaded.Outcome);
        Assert.Equal(75, loaded.ExitCode);
        Assert.Equal(100, loaded.CostCents);
        Assert.Equal(100, loaded.BudgetCents);
        var attempt = Assert.Single(loaded.Attempts);
        Assert.Equal("killed", loaded.Text(attempt, "outcome"));
    }

    [Fact]
    public async Task Cost_OverTheBudgetWithoutAPerAttemptCost_Is402_AndExits75()
    {
        var pidFile = Scratch.Path("child.pid");
        using var run = Start([.. Loopback, "--max-attempts", "3", "--max-cost-cents", "40", "--kill-grace", "300ms",
            "--", .. Child("--count", Scratch.Path("attempts"), "--pid-file", pidFile, "sleep", "600000")],
            new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = ControlToken });
        using var client = await ControlPlaneClient.ConnectAsync(run);
        await Wait.ForPidAsync(pidFile, run);

        var answer = await client.PostAsync("/cost", "{\"cents\": 1000}", ControlToken);
        var result = await run.WaitAsync();

        answer.AssertStatus(HttpStatusCode.PaymentRequired);
        Assert.Equal(0, Field(answer.Json, "remainingCents").GetInt64());
        result.AssertExitCode(75);
        Assert.Equal(1, Scratch.Count("attempts"));
    }
}
