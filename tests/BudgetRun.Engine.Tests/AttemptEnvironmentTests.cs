using BudgetRun.Engine.Processes;
using BudgetRun.Engine.Tests.Fakes;

namespace BudgetRun.Engine.Tests;

/// <summary>The child's say in numbers: each attempt's child knows its attempt, the run, and what remains.</summary>
public sealed class AttemptEnvironmentTests
{
    private static readonly ChildStartInfo _start = new(["job"], new Dictionary<string, string> { ["BUDGET_RUN_URL"] = "http://127.0.0.1:1/" },
        new HashSet<string> { "BUDGET_RUN_CONTROL_TOKEN" });

    [Theory]
    [InlineData(1, 3, "run-1", 170L, "170")]
    [InlineData(3, 3, "run-1", 0L, "0")]
    [InlineData(2, 5, "run-2", null, null)]
    public void For_SetsTheAttemptsVariables_AndRemovesOnesItDoesNotKnow(int attempt, int max, string runId, long? remaining, string? expected)
    {
        var start = AttemptEnvironment.For(_start, attempt, max, runId, remaining);

        Assert.Equal(attempt.ToString(System.Globalization.CultureInfo.InvariantCulture), start.ExtraEnvironment[AttemptEnvironment.Attempt]);
        Assert.Equal(max.ToString(System.Globalization.CultureInfo.InvariantCulture), start.ExtraEnvironment[AttemptEnvironment.MaxAttempts]);
        Assert.Equal(runId, start.ExtraEnvironment[AttemptEnvironment.RunId]);
        Assert.Equal("http://127.0.0.1:1/", start.ExtraEnvironment["BUDGET_RUN_URL"]); // the run's own stay
        Assert.Contains("BUDGET_RUN_CONTROL_TOKEN", start.HiddenEnvironment!);
        if (expected is null)
        {
            Assert.False(start.ExtraEnvironment.ContainsKey(AttemptEnvironment.RemainingCents));
            Assert.Contains(AttemptEnvironment.RemainingCents, start.HiddenEnvironment!); // an inherited value is not this run's
        }
        else
        {
            Assert.Equal(expected, start.ExtraEnvironment[AttemptEnvironment.RemainingCents]);
            Assert.DoesNotContain(AttemptEnvironment.RemainingCents, start.HiddenEnvironment!);
        }
        Assert.Equal(["job"], start.Command);
    }

    [Fact]
    public async Task EachAttempt_GetsItsNumber_AndWhatRemainsAfterItsReservation()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 3, MaxCostCents = 100, CostPerAttemptCents = 30, RunId = "r-42" },
            ChildScript.Exits(1));

        var run = harness.Supervisor.RunAsync();
        await harness.PassTimerAsync(TimeSpan.FromSeconds(1));
        await harness.PassTimerAsync(TimeSpan.FromSeconds(2));
        await SupervisorHarness.FinishAsync(run);

        var starts = harness.Launcher.StartInfos;
        Assert.Equal(["1", "2", "3"], starts.Select(s => s.ExtraEnvironment[AttemptEnvironment.Attempt]));
        Assert.Equal(["70", "40", "10"], starts.Select(s => s.ExtraEnvironment[AttemptEnvironment.RemainingCents]));
        Assert.All(starts, s => Assert.Equal(("3", "r-42"), (s.ExtraEnvironment[AttemptEnvironment.MaxAttempts], s.ExtraEnvironment[AttemptEnvironment.RunId])));
    }

    [Fact]
    public async Task AfterAReset_TheAttemptNumberStartsOver_AsTheLogsCount()
    {
        var healthy = TimeSpan.FromMinutes(1);
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 2, ResetAfter = healthy, MaxCostCents = 1000 },
            ChildScript.ExitsAfter(healthy, 1),
            ChildScript.Exits(1));

        var run = harness.Supervisor.RunAsync();
        await harness.WaitForStartsAsync(1);
        harness.Clock.Advance(healthy);
        await harness.PassTimerAsync(TimeSpan.FromSeconds(1));
        await harness.PassTimerAsync(TimeSpan.FromSeconds(2));
        await SupervisorHarness.FinishAsync(run);

        Assert.Equal(["1", "1", "2"], harness.Launcher.StartInfos.Select(s => s.ExtraEnvironment[AttemptEnvironment.Attempt]));
    }
}
