namespace BudgetRun.Engine.Processes;

/// <summary>Whether each attempt runs in a cgroup v2 of its own (<c>--cgroup</c>).</summary>
public enum CgroupMode
{
    /// <summary>A cgroup where budget-run can make one, else the process group and subreaper sweep alone.</summary>
    Auto,

    /// <summary>A cgroup, or the run does not start.</summary>
    Required,

    /// <summary>Never a cgroup.</summary>
    Off,
}
