using BudgetRun.Engine.Processes;

namespace BudgetRun.Engine.Tests.Fakes;

/// <summary>What one fake attempt does.</summary>
internal sealed record ChildScript
{
    private ChildScript()
    {
    }

    /// <summary>How the child ends on its own, or null when it runs until it is stopped.</summary>
    public ChildExit? Exit { get; private init; }

    /// <summary>How long it runs on the fake clock before <see cref="Exit"/>.</summary>
    public TimeSpan RunsFor { get; private init; }

    /// <summary>Ignores the polite signal: only SIGKILL after the grace period ends it.</summary>
    public bool IgnoresPoliteSignal { get; private init; }

    /// <summary>What its cgroup counted (<see cref="IChildProcess.Finish"/>); null: it had none.</summary>
    public AttemptUsage? Usage { get; private init; }

    /// <summary>The launcher throws this instead of starting anything.</summary>
    public StartFailure? StartFailure { get; private init; }

    public static ChildScript Exits(int code) => new() { Exit = ChildExit.Exited(code) };

    public static ChildScript ExitsAfter(TimeSpan runsFor, int code) => new() { Exit = ChildExit.Exited(code), RunsFor = runsFor };

    public static ChildScript DiesOf(int signal) => new() { Exit = ChildExit.Killed(signal) };

    /// <summary>Dies of SIGINT as the terminal's foreground job: the user's Ctrl-C.</summary>
    public static ChildScript DiesOfCtrlC() => new() { Exit = ChildExit.Killed(Signals.SIGINT) with { HadTerminal = true } };

    /// <summary>Dies of SIGKILL while its cgroup counts <paramref name="oomKills"/> OOM kills (none: a plain SIGKILL in a cgroup).</summary>
    public static ChildScript KilledInACgroup(long oomKills) =>
        new() { Exit = ChildExit.Killed(Signals.SIGKILL), Usage = new AttemptUsage(0.5, 64 << 20, oomKills) };

    /// <summary>Exits with <paramref name="code"/> while its cgroup counts an OOM kill (of a process of its, not itself).</summary>
    public static ChildScript ExitsAfterAnOomKillInItsCgroup(int code) =>
        new() { Exit = ChildExit.Exited(code), Usage = new AttemptUsage(0.5, 64 << 20, 1) };

    public static ChildScript RunsUntilStopped() => new();

    public static ChildScript IgnoresSigterm() => new() { IgnoresPoliteSignal = true };

    public static ChildScript FailsToStart(StartFailure failure) => new() { StartFailure = failure };
}
