namespace BudgetRun.Deployment.Tests.Infrastructure;

/// <summary>One option on a budget-run command line: its name and value (null for a switch).</summary>
internal sealed record GivenOption(string Name, string? Value);
