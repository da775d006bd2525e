using System.Globalization;

namespace BudgetRun.Engine.Processes;

/// <summary>
/// The run's cgroup v2, <c>budget-run-RUNID</c> under budget-run's own cgroup, and in it one
/// <c>attempt-N</c> per attempt. budget-run itself stays where it is: it enables no controller in
/// its own cgroup, so cgroup v2's rule against processes in an inner cgroup with controllers is
/// never in play there (a cgroup that holds processes cannot have controllers enabled for its
/// children anyway). The run's cgroup holds no process and hands the memory controller on to the
/// attempts where it has it, so that they report their memory peak and OOM kills.
/// </summary>
internal sealed class RunCgroup : IDisposable
{
    private int _attempts;

    private RunCgroup(string path) => Path = path;

    public string Path { get; }

    /// <summary>
    /// Makes the run's cgroup and checks that a child can be started in it (clone3 with
    /// CLONE_INTO_CGROUP: a seccomp filter or an older kernel may refuse it); null with the reason
    /// when <paramref name="mode"/> is off or the host does not allow it.
    /// </summary>
    public static RunCgroup? Open(CgroupMode mode, string runId, out string whyNot)
    {
        if (mode == CgroupMode.Off)
        {
            whyNot = "--cgroup off";
            return null;
        }
        if (CgroupLocator.OwnDirectory(out whyNot) is not { } own)
        {
            return null;
        }
        var path = System.IO.Path.Combine(own, "budget-run-" + runId);
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            whyNot = $"cannot create {path}: {ex.Message}";
            return null;
        }
        var run = new RunCgroup(path);
        if (!File.Exists(System.IO.Path.Combine(path, "cgroup.kill")))
        {
            run.Dispose();
            whyNot = $"{path} has no cgroup.kill (Linux 5.14 or later)";
            return null;
        }
        var fd = NativeMethods.OpenDirectory(path);
        var error = fd < 0 ? NativeMethods.EACCES : NativeMethods.CgroupProbe(fd);
        if (fd >= 0)
        {
            _ = NativeMethods.Close(fd);
        }
        if (error != 0)
        {
            run.Dispose();
            whyNot = $"cannot start a process in {path}: {NativeMethods.ErrorText(error)}";
            return null;
        }
        run.EnableMemoryController();
        whyNot = "";
        return run;
    }

    /// <summary>A new cgroup for the next attempt; null when it cannot be made.</summary>
    public AttemptCgroup? CreateAttempt()
    {
        var path = System.IO.Path.Combine(Path, "attempt-" + (++_attempts).ToString(CultureInfo.InvariantCulture));
        try
        {
            Directory.CreateDirectory(path);
            return new AttemptCgroup(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Removes the run's cgroup; one that still holds an attempt's cgroup (a leftover that would not die) stays.</summary>
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Where the memory controller reaches the run's cgroup, the attempts get it too (memory.peak, memory.events).</summary>
    private void EnableMemoryController()
    {
        try
        {
            var controllers = File.ReadAllText(System.IO.Path.Combine(Path, "cgroup.controllers")).Split(' ', StringSplitOptions.TrimEntries);
            if (controllers.Contains("memory"))
            {
                File.WriteAllText(System.IO.Path.Combine(Path, "cgroup.subtree_control"), "+memory");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Without it the attempts report CPU time only.
        }
    }
}
