namespace BudgetRun.Cli.Subcommands;

/// <summary>One line of <c>budget list --json</c>; <c>budgetCents</c> and <c>window</c> are null for a key only a kill has touched.</summary>
internal sealed record BudgetListEntry(string BudgetKey, long? BudgetCents, string? Window, string? TimeZone, bool KillSwitch);
