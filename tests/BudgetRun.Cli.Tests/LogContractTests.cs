using BudgetRun.Engine;

namespace BudgetRun.Cli.Tests;

/// <summary>The log lines the tests (and users' scripts) read are the ones budget-run writes.</summary>
public sealed class LogContractTests
{
    [Theory]
    [InlineData(LogMarkers.ControlPlaneListening, LogMessages.ControlPlaneListening)]
    [InlineData(LogMarkers.AttemptStarted, LogMessages.AttemptStarted)]
    [InlineData(LogMarkers.ServingBudget, LogMessages.ServingBudget)]
    [InlineData(LogMarkers.AttemptStarted, LogMessages.AttemptStartedAfterReset)]
    [InlineData(LogMarkers.RunEnded, LogMessages.RunEnded)]
    [InlineData(LogMarkers.RunEnded, LogMessages.RunEndedInAccount)]
    [InlineData(LogMarkers.RunEnded, LogMessages.RunEndedInAccountWithCap)]
    [InlineData(LogMarkers.RunEnded, LogMessages.RunEndedAccountUnknown)]
    public void EveryMarkerTheTestsWaitFor_IsPartOfItsTemplate(string marker, string template) =>
        Assert.Contains(marker, template, StringComparison.Ordinal);

    [Theory]
    [InlineData(LogMessages.RunEnded)]
    [InlineData(LogMessages.RunEndedInAccount)]
    [InlineData(LogMessages.RunEndedInAccountWithCap)]
    [InlineData(LogMessages.RunEndedAccountUnknown)]
    public void TheRunsLastLine_BeginsWithItsMarker(string template) =>
        Assert.StartsWith(LogMarkers.RunEnded, template, StringComparison.Ordinal);
}
