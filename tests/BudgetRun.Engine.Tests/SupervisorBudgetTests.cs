using BudgetRun.Engine.Processes;
using BudgetRun.Engine.Tests.Fakes;

namespace BudgetRun.Engine.Tests;

/// <summary>The budget rule: every attempt reserves its cost first; one that does not fit never starts.</summary>
public sealed class SupervisorBudgetTests
{
    [Fact]
    public async Task Run_WhenBudgetFitsOneAttempt_RunsOneAndEndsBudgetExhausted75()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxCostCents = 50, CostPerAttemptCents = 30 },
            ChildScript.Exits(1));

        var result = await harness.RunWithoutTimePassingAsync();

        Assert.Equal(1, harness.Launcher.Starts);
        Assert.Equal(RunOutcome.BudgetExhausted, result.Outcome);
        Assert.Equal(ExitCodes.BudgetExhausted, result.ExitCode);
        Assert.Equal(75, result.ExitCode);
        Assert.Equal(30, result.SpentCents);
        Assert.Equal(50, result.BudgetCents);
    }

    [Fact]
    public async Task Run_WhenBudgetFitsTwoAttempts_RunsTwo()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxCostCents = 60, CostPerAttemptCents = 30 },
            ChildScript.Exits(1));

        var run = harness.Supervisor.RunAsync();
        await harness.PassTimerAsync(TimeSpan.FromSeconds(1));
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(2, harness.Launcher.Starts);
        Assert.Equal(RunOutcome.BudgetExhausted, result.Outcome);
        Assert.Equal(ExitCodes.BudgetExhausted, result.ExitCode);
        Assert.Equal(60, result.SpentCents);
        Assert.All(result.Attempts, attempt => Assert.Equal(30, attempt.CostCents));
    }

    [Fact]
    public async Task Run_WhenCapAndBudgetRunOutTogether_CapDecidesWithTheChildsCode()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 2, MaxCostCents = 60, CostPerAttemptCents = 30 },
            ChildScript.Exits(3));

        var run = harness.Supervisor.RunAsync();
        await harness.PassTimerAsync(TimeSpan.FromSeconds(1));
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(2, harness.Launcher.Starts);
        Assert.Equal(RunOutcome.AttemptsExhausted, result.Outcome);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal(60, result.SpentCents);
    }

    [Fact]
    public async Task Run_WhenTheFirstAttemptDoesNotFit_StartsNothingAndEndsBudgetExhausted()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxCostCents = 29, CostPerAttemptCents = 30 },
            ChildScript.Exits(0));

        var result = await harness.RunWithoutTimePassingAsync();

        Assert.Equal(0, harness.Launcher.Starts);
        Assert.Empty(result.Attempts);
        Assert.Equal(RunOutcome.BudgetExhausted, result.Outcome);
        Assert.Equal(ExitCodes.BudgetExhausted, result.ExitCode);
        Assert.Equal(0, result.SpentCents);
    }

    [Fact]
    public async Task Run_WhenCostAndBudgetAreBothZero_RunsUpToTheCap()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 2, MaxCostCents = 0, CostPerAttemptCents = 0 },
            ChildScript.Exits(1));

        var run = harness.Supervisor.RunAsync();
        await harness.PassTimerAsync(TimeSpan.FromSeconds(1));
        var result = await SupervisorHarness.FinishAsync(run);

        Assert.Equal(2, harness.Launcher.Starts);
        Assert.Equal(RunOutcome.AttemptsExhausted, result.Outcome);
        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public async Task Run_WhenTheFirstAttemptSucceeds_EndsSucceeded0AndSpendsOneAttempt()
    {
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { CostPerAttemptCents = 7 },
            ChildScript.Exits(0));

        var result = await harness.RunWithoutTimePassingAsync();

        Assert.Equal(RunOutcome.Succeeded, result.Outcome);
        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal(7, result.SpentCents);
        var attempt = Assert.Single(result.Attempts);
        Assert.Equal(AttemptKind.Success, attempt.Kind);
    }

    [Theory]
    [InlineData(true, 127)]
    [InlineData(false, 126)]
    public async Task Run_WhenTheCommandCannotStart_EndsStartFailedWithoutRetryAndReleasesTheCost(bool notFound, int code)
    {
        var failure = notFound ? StartFailure.NotFound : StartFailure.NotExecutable;
        using var harness = new SupervisorHarness(
            SupervisorHarness.Defaults() with { MaxAttempts = 5, MaxCostCents = 100, CostPerAttemptCents = 30 },
            ChildScript.FailsToStart(failure));

        var result = await harness.RunWithoutTimePassingAsync();

        Assert.Equal(1, harness.Launcher.Starts);
        Assert.Equal(RunOutcome.StartFailed, result.Outcome);
        Assert.Equal(code, result.ExitCode);
        var attempt = Assert.Single(result.Attempts);
        Assert.Equal(AttemptKind.StartError, attempt.Kind);
        Assert.Equal(code, attempt.ExitCode);
        Assert.Equal(0, attempt.CostCents);
        Assert.Equal(0, result.SpentCents);
        var budget = await harness.Ledger.SnapshotAsync(CancellationToken.None);
        Assert.Equal(0, budget.ReservedCents);
        Assert.Equal(100, budget.RemainingCents);
    }
}
