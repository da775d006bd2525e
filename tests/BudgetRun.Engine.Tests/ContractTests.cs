using System.Text.Json;

namespace BudgetRun.Engine.Tests;

/// <summary>Exit codes and outcome names are contracts with scripts: each is asserted once here.</summary>
public sealed class ContractTests
{
    [Fact]
    public void ExitCodes_AreTheDocumentedNumbers()
    {
        Assert.Equal(0, ExitCodes.Success);
        Assert.Equal(2, ExitCodes.Usage);
        Assert.Equal(69, ExitCodes.LedgerUnavailable);
        Assert.Equal(70, ExitCodes.InternalError);
        Assert.Equal(73, ExitCodes.CannotCreate);
        Assert.Equal(75, ExitCodes.BudgetExhausted);
        Assert.Equal(77, ExitCodes.KillSwitch);
        Assert.Equal(74, ExitCodes.OutputFailed);
        Assert.Equal(141, ExitCodes.BrokenPipe);
        Assert.Equal(124, ExitCodes.TimedOut);
        Assert.Equal(126, ExitCodes.NotExecutable);
        Assert.Equal(127, ExitCodes.NotFound);
        Assert.Equal(130, ExitCodes.Interrupted);
        Assert.Equal(143, ExitCodes.Terminated);
    }

    [Theory]
    [InlineData(RunOutcome.Succeeded, "succeeded")]
    [InlineData(RunOutcome.AttemptsExhausted, "attemptsExhausted")]
    [InlineData(RunOutcome.BudgetExhausted, "budgetExhausted")]
    [InlineData(RunOutcome.TimedOut, "timedOut")]
    [InlineData(RunOutcome.Killed, "killed")]
    [InlineData(RunOutcome.Interrupted, "interrupted")]
    [InlineData(RunOutcome.StartFailed, "startFailed")]
    [InlineData(RunOutcome.NotRetryable, "notRetryable")]
    [InlineData(RunOutcome.LedgerUnavailable, "ledgerUnavailable")]
    public void RunOutcome_SerializesToItsReportName(RunOutcome outcome, string name) =>
        Assert.Equal($"\"{name}\"", JsonSerializer.Serialize(outcome));

    /// <summary>The log's and <c>--on-end</c>'s names come from a switch, not the serializer: every value, the same name.</summary>
    [Fact]
    public void RunOutcomeNames_AreTheJsonNames_ForEveryOutcome()
    {
        var outcomes = Enum.GetValues<RunOutcome>();
        Assert.Equal(9, outcomes.Length);
        foreach (var outcome in outcomes)
        {
            Assert.Equal(JsonSerializer.Serialize(outcome).Trim('"'), RunOutcomeNames.Of(outcome));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => RunOutcomeNames.Of((RunOutcome)99));
    }

    [Theory]
    [InlineData(StopReason.Interrupt, 130, RunOutcome.Interrupted, Signals.SIGINT)]
    [InlineData(StopReason.Terminate, 143, RunOutcome.Interrupted, Signals.SIGTERM)]
    [InlineData(StopReason.KillSwitch, 77, RunOutcome.Killed, Signals.SIGTERM)]
    [InlineData(StopReason.BudgetExhausted, 75, RunOutcome.BudgetExhausted, Signals.SIGTERM)]
    [InlineData(StopReason.Deadline, 124, RunOutcome.TimedOut, Signals.SIGTERM)]
    public void StopReason_MapsToItsExitCodeOutcomeAndChildSignal(StopReason reason, int code, RunOutcome outcome, int signal)
    {
        Assert.Equal(code, reason.ExitCode());
        Assert.Equal(outcome, reason.Outcome());
        Assert.Equal(signal, reason.ChildSignal());
    }

    [Theory]
    [InlineData(Signals.SIGALRM, 142)]
    [InlineData(Signals.SIGXCPU, 152)]
    [InlineData(Signals.SIGPWR, 158)]
    public void StopBySignal_Exits128PlusIt_Interrupted_ChildGetsSigterm(int signal, int code)
    {
        using var control = new RunControl();

        Assert.True(control.RequestStop(signal));

        Assert.Equal(StopReason.Signal, control.Reason);
        Assert.Equal(code, control.Reason!.Value.ExitCode(control.StopSignal));
        Assert.Equal(RunOutcome.Interrupted, control.Reason.Value.Outcome());
        Assert.Equal(Signals.SIGTERM, control.Reason.Value.ChildSignal());
    }
}
