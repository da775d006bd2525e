namespace BudgetRun.Engine;

/// <summary>The observer of a run nobody watches.</summary>
internal sealed class NullRunObserver : IRunObserver
{
    public static readonly NullRunObserver Instance = new();
}
