using System.Diagnostics;
using System.Runtime.InteropServices;

namespace BudgetRun.Bench.Measuring;

/// <summary>
/// Takes the Stopwatch timestamp of a process's death. A pidfd turns readable the moment the
/// process exits (before anyone reaps it, and for any process, not only our children); a
/// dedicated thread blocks in poll(2) on it and reads the clock as soon as the kernel wakes it,
/// so the sample does not depend on the thread pool or on when anyone awaits the result.
/// </summary>
internal sealed class DeathWatch : IDisposable
{
    private const int PollLimitMs = 30_000;

    private readonly int _pidfd;
    private readonly int _pid;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _armed = new();
    private readonly TaskCompletionSource<long> _died = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DeathWatch(int pid)
    {
        _pid = pid;
        _pidfd = NativeMethods.PidfdOpen(pid, 0);
        if (_pidfd < 0)
        {
            throw new BenchException($"pidfd_open({pid}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
        _thread = new Thread(Watch) { IsBackground = true, Name = $"death watch {pid}" };
        _thread.Start();
        _armed.Wait();
    }

    /// <summary>The Stopwatch timestamp at which the process was seen dead.</summary>
    public Task<long> Died => _died.Task;

    public void Dispose()
    {
        _thread.Join();
        _ = NativeMethods.Close(_pidfd);
        _armed.Dispose();
    }

    private unsafe void Watch()
    {
        var poll = new PollFd { Fd = _pidfd, Events = NativeMethods.POLLIN };
        _armed.Set();
        while (true)
        {
            var ready = NativeMethods.Poll(&poll, 1, PollLimitMs);
            if (ready > 0)
            {
                _died.TrySetResult(Stopwatch.GetTimestamp());
                return;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (ready < 0 && errno == NativeMethods.EINTR)
            {
                continue;
            }
            _died.TrySetException(new BenchException(ready == 0
                ? $"process {_pid} still alive after {PollLimitMs} ms"
                : $"poll on the pidfd of {_pid} failed: errno {errno}"));
            return;
        }
    }
}
