namespace BudgetRun.Deployment.Tests.Infrastructure;

/// <summary>An option as <c>budget-run --help</c> lists it: its names and its value's placeholder (null for a switch).</summary>
internal sealed record HelpOption(IReadOnlyList<string> Names, string? Placeholder);
