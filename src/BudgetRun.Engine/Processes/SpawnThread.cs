namespace BudgetRun.Engine.Processes;

/// <summary>
/// Runs spawns on one thread that lives as long as the process. Linux sends the parent-death
/// signal when the thread that created the child exits, not the process; a thread-pool thread
/// retiring after an idle minute would kill a healthy child.
/// </summary>
/// <remarks>
/// Both sides block without spinning (Monitor.Wait, an event with no spin count): a spawn is rare
/// and slow next to a spin, and on a small machine the spinning waiter (BlockingCollection's
/// semaphore, ManualResetEventSlim's default) took the core the spawn needed (35 to 144
/// sched_yield calls of the spawner alone for one `budget-run -- true`, strace -f).
/// </remarks>
internal sealed class SpawnThread
{
    private readonly Queue<Action> _work = new();

    public SpawnThread()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "budget-run spawner" };
        thread.Start();
    }

    public T Invoke<T>(Func<T> function)
    {
        T result = default!;
        Exception? error = null;
        using var done = new ManualResetEventSlim(false, spinCount: 0);
        lock (_work)
        {
            _work.Enqueue(() =>
            {
                try
                {
                    result = function();
                }
#pragma warning disable CA1031 // rethrown on the calling thread
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    error = ex;
                }
                finally
                {
                    done.Set();
                }
            });
            Monitor.Pulse(_work);
        }
        done.Wait();
        if (error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }
        return result;
    }

    private void Run()
    {
        while (true)
        {
            Action action;
            lock (_work)
            {
                while (_work.Count == 0)
                {
                    Monitor.Wait(_work);
                }
                action = _work.Dequeue();
            }
            action();
        }
    }
}
