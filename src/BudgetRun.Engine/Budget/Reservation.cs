namespace BudgetRun.Engine.Budget;

/// <summary>A reserved amount, identified for settling.</summary>
internal sealed record Reservation(string Id, long Cents);
