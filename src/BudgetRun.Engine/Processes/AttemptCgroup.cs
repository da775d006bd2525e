using System.Globalization;

namespace BudgetRun.Engine.Processes;

/// <summary>
/// One attempt's cgroup v2: the child is created in it (so is everything it starts, setsid and
/// double fork included), <c>cgroup.kill</c> ends all of them at once with no pid to reuse, and its
/// counters say what they used. Removed once it is empty.
/// </summary>
internal sealed class AttemptCgroup(string path)
{
    public string Path { get; } = path;

    /// <summary>Opens the directory for clone3's CLONE_INTO_CGROUP; -1 when it cannot be opened.</summary>
    public int OpenForSpawn() => NativeMethods.OpenDirectory(Path);

    /// <summary>Writes <paramref name="limits"/> to the cgroup's <c>memory.max</c> and <c>cpu.max</c>; the reason it could not, or null.</summary>
    public string? Limit(AttemptLimits limits)
    {
        foreach (var (file, value) in limits.Files())
        {
            try
            {
                File.WriteAllText(System.IO.Path.Combine(Path, file), value);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return $"cannot write {value} to {System.IO.Path.Combine(Path, file)}: {ex.Message}";
            }
        }
        return null;
    }

    /// <summary>SIGKILL to every process in the cgroup, by the kernel (<c>cgroup.kill</c>).</summary>
    public void Kill() => Write("cgroup.kill", "1");

    /// <summary>Whether any process is still in it (<c>cgroup.events populated</c>); false once it is gone.</summary>
    public bool IsPopulated => Read("cgroup.events") is { } events && Field(events, "populated") is > 0;

    /// <summary>What the cgroup counted; null when its counters cannot be read.</summary>
    public AttemptUsage? Usage()
    {
        if (Read("cpu.stat") is not { } cpu || Field(cpu, "usage_usec") is not { } micros)
        {
            return null;
        }
        long? peak = Read("memory.peak") is { } text && long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var bytes)
            ? bytes
            : null;
        long? oomKills = Read("memory.events") is { } events ? Field(events, "oom_kill") : null;
        return new AttemptUsage(micros / 1_000_000.0, peak, oomKills);
    }

    /// <summary>Removes the cgroup (rmdir); false while it still holds a process, or when it is gone or cannot be removed.</summary>
    public bool TryRemove()
    {
        try
        {
            Directory.Delete(Path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The number after <paramref name="key"/> in a flat-keyed file (<c>key value</c> lines).</summary>
    internal static long? Field(string text, string key)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.Length > key.Length && line.StartsWith(key, StringComparison.Ordinal) && line[key.Length] == ' '
                && long.TryParse(line.AsSpan(key.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }
        return null;
    }

    private string? Read(string file)
    {
        try
        {
            return File.ReadAllText(System.IO.Path.Combine(Path, file));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void Write(string file, string value)
    {
        try
        {
            File.WriteAllText(System.IO.Path.Combine(Path, file), value);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Gone already (removed after it emptied), or not ours to write: the signals to the tree still go out.
        }
    }
}
