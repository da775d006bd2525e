namespace BudgetRun.Resilience.Tests.Infrastructure;

/// <summary>A fact that needs root: a tmpfs of its own or <c>chattr +i</c> (CI runs as root); skipped with the reason elsewhere.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (RootOnly.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A theory that needs root: a tmpfs of its own or <c>chattr +i</c>; skipped with the reason elsewhere.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootTheoryAttribute : TheoryAttribute
{
    public RootTheoryAttribute()
    {
        if (RootOnly.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}
