namespace BudgetRun.Cli.Tests.Infrastructure;

/// <summary>Why a test that drops to another uid (setpriv) cannot run here, or null when it can.</summary>
internal static class RootOnly
{
    public static string? Unavailable => Environment.UserName == "root" ? null : "needs root to run budget-run as another user (setpriv): run as root, as CI does";
}

/// <summary>A fact that needs root (it runs budget-run as nobody); skipped with the reason elsewhere.</summary>
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

/// <summary>A theory that needs root (it runs budget-run as nobody); skipped with the reason elsewhere.</summary>
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
