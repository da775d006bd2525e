namespace BudgetRun.Engine.Processes;

/// <summary>
/// A thread lent to the engine while an async method awaits. <see cref="Main"/> is the process's
/// main thread, lent by <c>Program.Main</c>: the reaper hands each child's exit to it
/// (<see cref="Post"/>) instead of to the thread pool, so a run whose attempts need no timer never
/// starts the pool (two workers and a gate thread). Without a loop (the engine's tests, before
/// <see cref="Run"/>) and after the awaited task ends, posts go to the thread pool.
/// </summary>
/// <remarks>
/// What a post runs (completing a child's exit, and the continuations awaiting it inline) must
/// never wait on this thread for another post: nothing in budget-run waits synchronously for a
/// child's exit (the reaper's own <see cref="ChildReaper.WaitUntilReaped"/> does not go through here).
/// </remarks>
internal sealed class ThreadLoop
{
    private readonly Queue<Action> _work = new();
    private Thread? _loop;

    /// <summary>The process's main thread, while <c>Program.Main</c> lends it.</summary>
    public static ThreadLoop Main { get; } = new();

    /// <summary>
    /// Runs <paramref name="main"/> on this thread and, while its task is not complete, what
    /// <see cref="Post"/> hands over; returns the task's result (or throws its exception).
    /// </summary>
    public T Run<T>(Func<Task<T>> main)
    {
        lock (_work)
        {
            if (_loop is not null)
            {
                throw new InvalidOperationException("this loop is already running");
            }
            _loop = Thread.CurrentThread;
        }
        // The runtime runs a completed task's continuations inline only on a thread without a
        // SynchronizationContext of its own (else it queues them to the pool).
        var context = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            return Loop(main);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }
    }

    private T Loop<T>(Func<Task<T>> main)
    {
        Task<T> task;
        try
        {
            task = main();
        }
        catch
        {
            Stop();
            throw;
        }
        // Whichever thread completes it, wake the loop to see that.
        _ = task.ContinueWith(static (_, state) =>
        {
            var work = (Queue<Action>)state!;
            lock (work)
            {
                Monitor.Pulse(work);
            }
        }, _work, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        while (true)
        {
            Action action;
            lock (_work)
            {
                while (_work.Count == 0 && !task.IsCompleted)
                {
                    Monitor.Wait(_work);
                }
                if (task.IsCompleted)
                {
                    break;
                }
                action = _work.Dequeue();
            }
            action();
        }
        Stop();
        return task.GetAwaiter().GetResult();
    }

    /// <summary>Runs <paramref name="action"/> on the main thread's loop, or on the thread pool when none runs.</summary>
    public void Post(Action action)
    {
        lock (_work)
        {
            if (_loop is not null)
            {
                _work.Enqueue(action);
                Monitor.Pulse(_work);
                return;
            }
        }
        ThreadPool.UnsafeQueueUserWorkItem(static action => action(), action, preferLocal: false);
    }

    /// <summary>Ends the loop: what is still queued goes to the thread pool, and so does every later post.</summary>
    private void Stop()
    {
        Action[] left;
        lock (_work)
        {
            _loop = null;
            left = [.. _work];
            _work.Clear();
        }
        foreach (var action in left)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static action => action(), action, preferLocal: false);
        }
    }
}
