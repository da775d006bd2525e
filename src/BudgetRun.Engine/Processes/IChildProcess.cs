namespace BudgetRun.Engine.Processes;

/// <summary>What it takes to start one attempt's child.</summary>
/// <param name="Command">The command and its arguments.</param>
/// <param name="ExtraEnvironment">Variables set on top of budget-run's environment.</param>
/// <param name="HiddenEnvironment">budget-run's variables the child must not inherit.</param>
/// <param name="Capture">The output streams budget-run taps (<see cref="OutputTap"/>); None: both are inherited untouched.</param>
/// <param name="OwnCgroup">Whether it gets a cgroup of its own when the run has one (a health check does not: it is not an attempt).</param>
internal sealed record ChildStartInfo(
    IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string> ExtraEnvironment,
    IReadOnlySet<string>? HiddenEnvironment = null,
    OutputStreams Capture = OutputStreams.None,
    bool OwnCgroup = true);

/// <summary>Starts children. The only way the engine creates processes.</summary>
internal interface IChildLauncher
{
    /// <exception cref="ChildStartException">The command was not found or cannot be executed.</exception>
    IChildProcess Start(ChildStartInfo startInfo);
}

/// <summary>One running child: the leader of its own process group.</summary>
internal interface IChildProcess
{
    int Pid { get; }

    /// <summary>Completes when the child has exited and been reaped.</summary>
    Task<ChildExit> Exited { get; }

    /// <summary>Sends <paramref name="signal"/> to the child's process group.</summary>
    void Signal(int signal);

    /// <summary>
    /// Sends <paramref name="signal"/> to the child's group and every descendant, waits up to
    /// <paramref name="grace"/> for the child to exit, then SIGKILLs the whole tree. Completes when
    /// the child is reaped; returns true when SIGKILL was needed. Calling it again joins the first stop.
    /// </summary>
    Task<bool> StopAsync(int signal, TimeSpan grace);

    /// <summary>
    /// After the child exited: signals every descendant left behind (its group and any that
    /// escaped it), SIGKILLs those still alive after <paramref name="grace"/>, and returns once none is
    /// left. Returns how many were found.
    /// </summary>
    Task<int> SweepAsync(TimeSpan grace);

    /// <summary>
    /// After the sweep: what the attempt's cgroup counted (null when the child ran without one); the
    /// cgroup is removed.
    /// </summary>
    AttemptUsage? Finish();

    /// <summary>What the attempt's cgroup has counted so far, while it runs (null without one).</summary>
    AttemptUsage? Usage() => null;

    /// <summary>
    /// After the sweep: the end of each output stream budget-run tapped (<see cref="ChildStartInfo.Capture"/>),
    /// once everything the attempt wrote has been passed on; empty when none was tapped.
    /// </summary>
    Task<IReadOnlyList<CapturedStream>> OutputAsync() => Task.FromResult<IReadOnlyList<CapturedStream>>([]);
}

/// <summary>Why a command could not be started; never retried.</summary>
internal enum StartFailure
{
    NotFound,
    NotExecutable,
}

internal sealed class ChildStartException(StartFailure failure, string message) : Exception(message)
{
    public StartFailure Failure { get; } = failure;

    public int ExitCode => Failure == StartFailure.NotFound ? ExitCodes.NotFound : ExitCodes.NotExecutable;
}
