namespace BudgetRun.Engine.Processes;

/// <summary>A child started by <see cref="PosixChildLauncher"/>; its pid is also its process group.</summary>
internal sealed class PosixChildProcess(int pid, Task<ChildExit> exited, ChildReaper reaper, TimeProvider time) : IChildProcess
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan KillWaitLimit = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private Task<bool>? _stop;

    public int Pid { get; } = pid;

    public Task<ChildExit> Exited { get; } = exited;

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
        SignalTree(signal);
        if (await WaitAsync(Exited, grace).ConfigureAwait(false))
        {
            return false;
        }
        SignalTree(Signals.SIGKILL);
        await Exited.ConfigureAwait(false);
        return true;
    }

    public async Task<int> SweepAsync(TimeSpan grace)
    {
        var self = Environment.ProcessId;
        var found = ProcessTree.LiveDescendants(self);
        if (found.Count == 0)
        {
            return 0;
        }
        var count = found.Count;
        SignalTree(Signals.SIGTERM);
        var deadline = time.GetUtcNow() + grace;
        while (time.GetUtcNow() < deadline)
        {
            await Task.Delay(PollInterval, time).ConfigureAwait(false);
            reaper.Nudge();
            if (ProcessTree.LiveDescendants(self).Count == 0)
            {
                return count;
            }
        }
        var killDeadline = time.GetUtcNow() + KillWaitLimit;
        do
        {
            SignalTree(Signals.SIGKILL);
            await Task.Delay(PollInterval, time).ConfigureAwait(false);
            reaper.Nudge();
        }
        while (ProcessTree.LiveDescendants(self).Count > 0 && time.GetUtcNow() < killDeadline);
        return count;
    }

    /// <summary>
    /// The child's group and every descendant of budget-run, wherever its group: as subreaper we
    /// inherit whatever escaped the group, so the descendants are the whole tree.
    /// </summary>
    private void SignalTree(int signal)
    {
        _ = NativeMethods.Kill(-Pid, signal);
        foreach (var descendant in ProcessTree.LiveDescendants(Environment.ProcessId))
        {
            _ = NativeMethods.Kill(descendant, signal);
        }
    }

    private async Task<bool> WaitAsync(Task task, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource();
        var delay = Task.Delay(timeout, time, cancel.Token);
        var winner = await Task.WhenAny(task, delay).ConfigureAwait(false);
        await cancel.CancelAsync().ConfigureAwait(false);
        return winner == task;
    }
}
