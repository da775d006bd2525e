using BudgetRun.Engine.Processes;

namespace BudgetRun.Cli.Tests.Infrastructure;

/// <summary>
/// Whether this host lets the tests make cgroups v2 under their own (root with a writable cgroup2
/// mount, as on CI and the development machines: the hybrid layout's /sys/fs/cgroup/unified).
/// </summary>
internal static class CgroupHost
{
    private static readonly Lazy<string?> _own = new(() => CgroupLocator.OwnDirectory(out _));

    /// <summary>The test process's own cgroup directory (budget-run, its child, inherits it), or null.</summary>
    public static string? OwnDirectory => _own.Value;

    public static string? Unavailable
    {
        get
        {
            if (RootOnly.Unavailable is { } reason)
            {
                return reason;
            }
            if (OwnDirectory is not { } own)
            {
                return "no cgroup v2 here (/proc/self/cgroup has no 0:: line under a cgroup2 mount)";
            }
            var probe = Path.Combine(own, $"budget-run-test-probe-{Guid.NewGuid():N}");
            try
            {
                Directory.CreateDirectory(probe);
                Directory.Delete(probe);
                return null;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return $"cannot make a cgroup in {own}: {ex.Message}";
            }
        }
    }
}

/// <summary>A fact that needs a cgroup v2 the tests can write as root; skipped with the reason elsewhere.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class CgroupFactAttribute : FactAttribute
{
    public CgroupFactAttribute()
    {
        if (CgroupHost.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A theory that needs a cgroup v2 the tests can write as root; skipped with the reason elsewhere.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class CgroupTheoryAttribute : TheoryAttribute
{
    public CgroupTheoryAttribute()
    {
        if (CgroupHost.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}
