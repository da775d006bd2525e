namespace BudgetRun.Engine.Processes;

/// <summary>
/// Reaps every child of this process on one dedicated thread with waitpid(-1): the attempt's
/// child, whose status is handed to its waiter, and the orphans reparented to us as subreaper,
/// which would otherwise stay zombies. budget-run never uses System.Diagnostics.Process, so the
/// runtime reaps nothing behind our back. Stops are reported too (WUNTRACED): a tracked child's
/// stop goes to its stop handler, on this thread; other descendants' stops are ignored. An exit is
/// handed to its waiter through <see cref="ThreadLoop.Post"/> of <see cref="ThreadLoop.Main"/>: the continuations awaiting it run on
/// the main thread's loop (or the thread pool), never on this thread, which goes on reaping.
/// </summary>
internal sealed class ChildReaper
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, TaskCompletionSource<ChildExit>> _waiters = [];
    private readonly Dictionary<int, Action<int>> _stopHandlers = [];
    private readonly AutoResetEvent _childAdded = new(false);
    private readonly object _reaped = new(); // pulsed (Monitor) each time a tracked child is reaped
    private long _orphansReaped;

    public ChildReaper()
    {
        var thread = new Thread(Loop) { IsBackground = true, Name = "budget-run reaper" };
        thread.Start();
    }

    /// <summary>Held while a child is spawned, so its exit cannot be dispatched before it is tracked.</summary>
    public Lock Gate => _gate;

    /// <summary>Orphaned descendants reaped so far.</summary>
    public long OrphansReaped => Interlocked.Read(ref _orphansReaped);

    /// <summary>
    /// Tracks <paramref name="pid"/>; call with <see cref="Gate"/> held, right after the spawn.
    /// <paramref name="onStopped"/> gets the signal each time the child is stopped; it runs on the
    /// reaper thread, which reaps nothing until it returns.
    /// </summary>
    public Task<ChildExit> Track(int pid, Action<int>? onStopped = null)
    {
        // Completed by a post (ThreadLoop.Main), whose thread then runs the continuations inline.
        var completion = new TaskCompletionSource<ChildExit>();
        _waiters[pid] = completion;
        if (onStopped is not null)
        {
            _stopHandlers[pid] = onStopped;
        }
        _childAdded.Set();
        return completion.Task;
    }

    /// <summary>
    /// Blocks until the tracked <paramref name="pid"/> has been reaped, without waiting for its
    /// exit's post (which may be queued for this very thread); returns at once for an untracked pid.
    /// </summary>
    public void WaitUntilReaped(int pid)
    {
        lock (_reaped)
        {
            while (IsTracked(pid))
            {
                Monitor.Wait(_reaped);
            }
        }
    }

    private bool IsTracked(int pid)
    {
        lock (_gate)
        {
            return _waiters.ContainsKey(pid);
        }
    }

    /// <summary>Wakes the reaper early, e.g. while descendants are being swept.</summary>
    public void Nudge() => _childAdded.Set();

    private void Loop()
    {
        while (true)
        {
            var pid = NativeMethods.WaitAny(out var status);
            if (pid > 0)
            {
                if (ChildExit.IsStop(status, out var signal))
                {
                    OnStopped(pid, signal);
                }
                else
                {
                    Dispatch(pid, ChildExit.FromWaitStatus(status));
                }
                continue;
            }
            // No child right now. Orphans can still be reparented to us at any moment (a grandchild
            // whose parent just died), so look again shortly even without a new spawn.
            _childAdded.WaitOne(TimeSpan.FromMilliseconds(50));
        }
    }

    private void OnStopped(int pid, int signal)
    {
        Action<int>? handler;
        lock (_gate)
        {
            _stopHandlers.TryGetValue(pid, out handler);
        }
        handler?.Invoke(signal);
    }

    private void Dispatch(int pid, ChildExit exit)
    {
        TaskCompletionSource<ChildExit>? waiter;
        lock (_gate)
        {
            _waiters.Remove(pid, out waiter);
            _stopHandlers.Remove(pid);
        }
        if (waiter is null)
        {
            Interlocked.Increment(ref _orphansReaped);
            return;
        }
        lock (_reaped)
        {
            Monitor.PulseAll(_reaped);
        }
        ThreadLoop.Main.Post(() => waiter.TrySetResult(exit));
    }
}
