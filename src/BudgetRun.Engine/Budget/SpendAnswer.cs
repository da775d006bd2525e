namespace BudgetRun.Engine.Budget;

/// <summary>The engine's answer to reported spend, with the budget as it is after it.</summary>
internal readonly record struct SpendAnswer(SpendVerdict Verdict, BudgetSnapshot Budget);
