namespace BudgetRun.Engine.Processes;

/// <summary>
/// A child started by <see cref="PosixChildLauncher"/>; its pid is also its process group. The
/// kill token is cancelled when a stop must not wait out its grace (a second SIGTERM): SIGKILL
/// to the tree at once. With a <paramref name="cgroup"/> (the child was created in it), SIGKILL
/// is also the kernel's <c>cgroup.kill</c>, and the attempt is over only once the cgroup is empty.
/// </summary>
internal sealed class PosixChildProcess(int pid, Task<ChildExit> exited, ChildReaper reaper, TimeProvider time, CancellationToken kill,
    AttemptCgroup? cgroup = null, OutputTap? tap = null) : IChildProcess
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan KillWaitLimit = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private Task<bool>? _stop;

    /// <summary>Processes outside the child's group that the stop has already asked to end.</summary>
    private readonly HashSet<int> _asked = [];
    private bool _groupAsked;

    public int Pid { get; } = pid;

    public Task<ChildExit> Exited { get; } = exited;

    public Task<IReadOnlyList<CapturedStream>> OutputAsync() =>
        tap is null ? Task.FromResult<IReadOnlyList<CapturedStream>>([]) : tap.FinishAsync();

    public void Signal(int signal) => _ = NativeMethods.Kill(-Pid, signal);

    public Task<bool> StopAsync(int signal, TimeSpan grace)
    {
        lock (_gate)
        {
            return _stop ??= StopCoreAsync(signal, grace);
        }
    }

    private async Task<bool> StopCoreAsync(int signal, TimeSpan grace)
    {
        SignalTree(signal, remember: true);
        if (await WaitAsync(Exited, grace).ConfigureAwait(false))
        {
            return false;
        }
        KillAll();
        await Exited.ConfigureAwait(false);
        return true;
    }

    public async Task<int> SweepAsync(TimeSpan grace)
    {
        var self = Environment.ProcessId;
        var found = ProcessTree.LiveDescendants(self);
        if (found.Count == 0 && cgroup is not { IsPopulated: true })
        {
            return 0;
        }
        var count = Math.Max(found.Count, 1);
        // Whoever the stop already signalled is not asked again: many programs take a second
        // SIGINT or SIGTERM as "force quit". They are only waited for.
        SignalTree(Signals.SIGTERM, skipAsked: true);
        var deadline = time.GetUtcNow() + grace;
        while (time.GetUtcNow() < deadline && !kill.IsCancellationRequested)
        {
            await Task.Delay(PollInterval, time).ConfigureAwait(false);
            reaper.Nudge();
            if (!AnyLeft(self))
            {
                return count;
            }
        }
        var killDeadline = time.GetUtcNow() + KillWaitLimit;
        do
        {
            KillAll();
            await Task.Delay(PollInterval, time).ConfigureAwait(false);
            reaper.Nudge();
        }
        while (AnyLeft(self) && time.GetUtcNow() < killDeadline);
        return count;
    }

    public AttemptUsage? Usage() => cgroup?.Usage();

    public AttemptUsage? Finish()
    {
        if (cgroup is null)
        {
            return null;
        }
        var usage = cgroup.Usage();
        _ = cgroup.TryRemove(); // one that is still populated after the sweep's kill stays, and the run's with it
        return usage;
    }

    /// <summary>A descendant of budget-run alive, or a process (even one that left the tree) still in the attempt's cgroup.</summary>
    private bool AnyLeft(int self) => ProcessTree.LiveDescendants(self).Count > 0 || cgroup is { IsPopulated: true };

    /// <summary>SIGKILL by the cgroup (every process in it, none missed or mistaken for a reused pid), then to the tree as before.</summary>
    private void KillAll()
    {
        cgroup?.Kill();
        SignalTree(Signals.SIGKILL);
    }

    /// <summary>
    /// The child's group, then every descendant of budget-run outside that group (as subreaper we
    /// inherit whatever escaped it, so that is the whole tree): each process gets the signal once.
    /// A polite signal is followed by SIGCONT to the same processes, as coreutils timeout does: a
    /// stopped process could neither handle nor die of it and would hold the stop for the whole
    /// grace. <paramref name="remember"/> records who was asked, so that <paramref name="skipAsked"/>
    /// (the sweep after the stop) does not ask them twice.
    /// </summary>
    private void SignalTree(int signal, bool remember = false, bool skipAsked = false)
    {
        var polite = signal is not (Signals.SIGKILL or Signals.SIGCONT);
        var targets = new List<int>();
        lock (_asked)
        {
            if (!(skipAsked && _groupAsked))
            {
                targets.Add(-Pid);
                _groupAsked |= remember;
            }
            foreach (var descendant in ProcessTree.LiveDescendants(Environment.ProcessId))
            {
                if (NativeMethods.GetPgid(descendant) == Pid || (skipAsked && _asked.Contains(descendant)))
                {
                    continue; // reached through the group
                }
                targets.Add(descendant);
                if (remember)
                {
                    _asked.Add(descendant);
                }
            }
        }
        foreach (var target in targets)
        {
            _ = NativeMethods.Kill(target, signal);
        }
        if (polite)
        {
            foreach (var target in targets)
            {
                _ = NativeMethods.Kill(target, Signals.SIGCONT);
            }
        }
    }

    /// <summary>True when <paramref name="task"/> completes within <paramref name="timeout"/>; false at the timeout or on escalation.</summary>
    private async Task<bool> WaitAsync(Task task, TimeSpan timeout)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(kill);
        var delay = Task.Delay(timeout, time, cancel.Token);
        var winner = await Task.WhenAny(task, delay).ConfigureAwait(false);
        await cancel.CancelAsync().ConfigureAwait(false);
        return winner == task;
    }
}
