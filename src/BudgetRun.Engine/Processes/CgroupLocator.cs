using System.Text;

namespace BudgetRun.Engine.Processes;

/// <summary>
/// Finds the directory of this process's own cgroup v2: its path from the <c>0::</c> line of
/// /proc/self/cgroup, under a cgroup2 mount from /proc/self/mountinfo (the unified hierarchy's own
/// /sys/fs/cgroup, or the hybrid layout's /sys/fs/cgroup/unified).
/// </summary>
internal static class CgroupLocator
{
    /// <summary>The directory, or null and <paramref name="whyNot"/>.</summary>
    public static string? OwnDirectory(out string whyNot)
    {
        string cgroups, mounts;
        try
        {
            cgroups = File.ReadAllText("/proc/self/cgroup");
            mounts = File.ReadAllText("/proc/self/mountinfo");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            whyNot = $"cannot read /proc/self: {ex.Message}";
            return null;
        }
        if (OwnPath(cgroups) is not { } own)
        {
            whyNot = "budget-run is in no cgroup v2 (/proc/self/cgroup has no 0:: line)";
            return null;
        }
        if (Directory(own, mounts) is not { } directory)
        {
            whyNot = $"no cgroup2 file system mounted here shows budget-run's cgroup {own}";
            return null;
        }
        whyNot = "";
        return directory;
    }

    /// <summary>The cgroup v2 path in /proc/self/cgroup's text (<c>0::/a/b</c>), or null.</summary>
    internal static string? OwnPath(string procSelfCgroup)
    {
        foreach (var line in procSelfCgroup.Split('\n'))
        {
            if (line.StartsWith("0::/", StringComparison.Ordinal))
            {
                return line[3..];
            }
        }
        return null;
    }

    /// <summary>
    /// Where <paramref name="own"/> is in the file system: under the first cgroup2 mount of
    /// /proc/self/mountinfo's text whose root (a bind mount or a cgroup namespace shows a subtree)
    /// holds it. Null when none does.
    /// </summary>
    internal static string? Directory(string own, string mountinfo)
    {
        foreach (var line in mountinfo.Split('\n'))
        {
            // id parent major:minor root mount-point options [optional...] - type source super-options
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-");
            if (separator < 6 || separator + 1 >= fields.Length || fields[separator + 1] != "cgroup2")
            {
                continue;
            }
            var root = Unescape(fields[3]);
            var mountPoint = Unescape(fields[4]);
            if (root == "/")
            {
                return own == "/" ? mountPoint : mountPoint.TrimEnd('/') + own;
            }
            if (own == root || own.StartsWith(root + "/", StringComparison.Ordinal))
            {
                return mountPoint.TrimEnd('/') + own[root.Length..];
            }
        }
        return null;
    }

    /// <summary>mountinfo writes a space, tab, newline and backslash in a path as \040, \011, \012, \134.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }
        var result = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                result.Append((char)(((field[i + 1] - '0') * 64) + ((field[i + 2] - '0') * 8) + (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                result.Append(field[i]);
            }
        }
        return result.ToString();
    }

    private static bool IsOctal(string text, int at) =>
        at + 2 < text.Length && text[at] is >= '0' and <= '7' && text[at + 1] is >= '0' and <= '7' && text[at + 2] is >= '0' and <= '7';
}
