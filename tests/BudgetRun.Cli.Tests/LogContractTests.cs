using BudgetRun.Engine;

namespace BudgetRun.Cli.Tests;

/// <summary>The log lines the tests (and users' scripts) read are the ones budget-run writes.</summary>
public sealed class LogContractTests
{
    [Theory]
    [InlineData(LogMarkers.ControlPlaneListening, LogMessages.ControlPlaneListening)]
    [InlineData(LogMarkers.AttemptStarted, LogMessages.AttemptStarted)]
    [InlineData(LogMarkers.ServingBudget, LogMessages.ServingBudget)]
    [InlineData(LogMarkers.RunEnded, LogMessages.RunEnded)]
    public void EveryMarkerTheTestsWaitFor_IsPartOfItsTemplate(string marker, string template) =>
        Assert.Contains(marker, template, StringComparison.Ordinal);

    [Fact]
    public void TheRunsLastLine_BeginsWithItsMarker() =>
        Assert.StartsWith(LogMarkers.RunEnded, LogMessages.RunEnded, StringComparison.Ordinal);
}
