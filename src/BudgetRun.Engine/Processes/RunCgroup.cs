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

    private RunCgroup(string path, AttemptLimits limits)
    {
        Path = path;
        Limits = limits;
    }

    public string Path { get; }

    /// <summary>What every attempt's cgroup is limited to (<c>--memory-max</c>, <c>--cpu-max</c>).</summary>
    public AttemptLimits Limits { get; }

    /// <summary>
    /// Makes the run's cgroup and checks that a child can be started in it (clone3 with
    /// CLONE_INTO_CGROUP: a seccomp filter or an older kernel may refuse it); null with the reason
    /// when <paramref name="mode"/> is off or the host does not allow it.
    /// </summary>
    public static RunCgroup? Open(CgroupMode mode, string runId, out string whyNot) => Open(mode, runId, AttemptLimits.None, out whyNot);

    /// <summary>
    /// As <see cref="Open(CgroupMode, string, out string)"/>, with the controllers
    /// <paramref name="limits"/> need handed to the attempts; null, with the reason, when the host
    /// does not give the run's cgroup those controllers.
    /// </summary>
    public static RunCgroup? Open(CgroupMode mode, string runId, AttemptLimits limits, out string whyNot)
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
        var run = new RunCgroup(path, limits);
        if (!File.Exists(System.IO.Path.Combine(path, "cgroup.kill")))
        {
            run.Dispose();
            whyNot = $"{path} has no cgroup.kill (Linux 5.14 or later)";
            return null;
        }
        // The probe (a child cloned into the cgroup, the whole address space copied for it) costs
        // about 0.5 ms and a copy-on-write fault for each page budget-run writes afterwards. Only a
        // run that must have one (--cgroup required, which limits and CPU cost imply) checks ahead;
        // under --cgroup auto the first attempt's own clone finds out, and the launcher starts it
        // without one (the same line, at debug level).
        var error = mode == CgroupMode.Required ? Probe(path) : 0;
        if (error != 0)
        {
            run.Dispose();
            whyNot = $"cannot start a process in {path}: {NativeMethods.ErrorText(error)}";
            return null;
        }
        if (run.EnableControllers(limits) is { } missing)
        {
            run.Dispose();
            whyNot = missing;
            return null;
        }
        whyNot = "";
        return run;
    }

    /// <summary>0 when a child can be cloned into <paramref name="path"/>, else the errno.</summary>
    private static int Probe(string path)
    {
        var fd = NativeMethods.OpenDirectory(path);
        var error = fd < 0 ? NativeMethods.EACCES : NativeMethods.CgroupProbe(fd);
        if (fd >= 0)
        {
            _ = NativeMethods.Close(fd);
        }
        return error;
    }

    /// <summary>A new cgroup for the next attempt, with the run's limits; null, with the reason, when it cannot be made.</summary>
    public AttemptCgroup? CreateAttempt(out string whyNot)
    {
        var path = System.IO.Path.Combine(Path, "attempt-" + (++_attempts).ToString(CultureInfo.InvariantCulture));
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            whyNot = $"cannot create an attempt's cgroup in {Path}: {ex.Message}";
            return null;
        }
        var attempt = new AttemptCgroup(path);
        if (attempt.Limit(Limits) is { } failed)
        {
            _ = attempt.TryRemove();
            whyNot = failed;
            return null;
        }
        whyNot = "";
        return attempt;
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

    /// <summary>
    /// Where the memory controller reaches the run's cgroup, the attempts get it too (memory.peak,
    /// memory.events); the controllers <paramref name="limits"/> need must reach it, or this says why
    /// not (the reason), and the run does not start.
    /// </summary>
    private string? EnableControllers(AttemptLimits limits)
    {
        string[] controllers;
        try
        {
            controllers = File.ReadAllText(System.IO.Path.Combine(Path, "cgroup.controllers")).Split(' ', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            controllers = [];
        }
        var parent = System.IO.Path.GetDirectoryName(Path);
        foreach (var (needed, flag) in limits.Controllers())
        {
            if (!controllers.Contains(needed))
            {
                return $"{flag} needs the {needed} controller, which budget-run's cgroup {parent} does not hand to its children " +
                    $"(cgroup.controllers of {Path}: {(controllers.Length == 0 ? "none" : string.Join(' ', controllers))}); " +
                    $"enable it in {parent}/cgroup.subtree_control (systemd: Delegate=yes), or run without {flag}";
            }
        }
        var enable = controllers.Contains("memory") ? ["memory"] : Array.Empty<string>();
        enable = [.. enable.Union(limits.Controllers().Select(pair => pair.Controller))];
        foreach (var controller in enable)
        {
            try
            {
                File.WriteAllText(System.IO.Path.Combine(Path, "cgroup.subtree_control"), "+" + controller);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                if (limits.Controllers().Any(pair => pair.Controller == controller))
                {
                    return $"cannot enable the {controller} controller for the attempts in {Path}: {ex.Message}";
                }
                // The memory figures are a bonus: without them the attempts report CPU time only.
            }
        }
        return null;
    }
}
