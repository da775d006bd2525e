using Xunit.Sdk;

namespace BudgetRun.Resilience.Tests.Infrastructure;

/// <summary>
/// Whether the faults that need root can be made here: a tmpfs of the test's own (full or
/// read-only file systems) and the immutable attribute (root ignores file modes). Probed once.
/// </summary>
internal static class RootOnly
{
    private static readonly Lazy<string?> _unavailable = new(Probe);

    /// <summary>Why not (not root, no CAP_SYS_ADMIN, a file system without chattr), or null.</summary>
    public static string? Unavailable => _unavailable.Value;

    private static string? Probe()
    {
        if (Environment.UserName != "root")
        {
            return "needs root (mount -t tmpfs, chattr +i): run as root, as CI does";
        }
        try
        {
            using (Tmpfs.Mount(64))
            {
            }
            var file = Path.Combine(Path.GetTempPath(), $"budget-run-chattr-probe-{Guid.NewGuid():N}");
            File.WriteAllText(file, "probe");
            try
            {
                using (new Immutable(file))
                {
                }
            }
            finally
            {
                File.Delete(file);
            }
            return null;
        }
        catch (Exception ex) when (ex is XunitException or IOException or System.ComponentModel.Win32Exception)
        {
            return $"cannot make the faults that need root here: {ex.Message}";
        }
    }
}
