using System.Collections.Concurrent;

namespace BudgetRun.Engine.Processes;

/// <summary>
/// Runs spawns on one thread that lives as long as the process. Linux sends the parent-death
/// signal when the thread that created the child exits, not the process; a thread-pool thread
/// retiring after an idle minute would kill a healthy child.
/// </summary>
internal sealed class SpawnThread
{
    private readonly BlockingCollection<Action> _work = [];

    public SpawnThread()
    {
        var thread = new Thread(() =>
        {
            foreach (var action in _work.GetConsumingEnumerable())
            {
                action();
            }
        })
        { IsBackground = true, Name = "budget-run spawner" };
        thread.Start();
    }

    public T Invoke<T>(Func<T> function)
    {
        T result = default!;
        Exception? error = null;
        using var done = new ManualResetEventSlim(false);
        _work.Add(() =>
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
        done.Wait();
        if (error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }
        return result;
    }
}
