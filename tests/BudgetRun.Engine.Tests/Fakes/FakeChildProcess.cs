using System.Collections.Concurrent;
using BudgetRun.Engine.Processes;

namespace BudgetRun.Engine.Tests.Fakes;

/// <summary>
/// A child that follows its <see cref="ChildScript"/> on the fake clock. Its exit completes
/// asynchronously, as the real reaper thread completes a real child's.
/// </summary>
internal sealed class FakeChildProcess : IChildProcess
{
    private readonly ChildScript _script;
    private readonly TimeProvider _clock;
    private readonly TaskCompletionSource<ChildExit> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly ITimer? _exitTimer;
    private Task<bool>? _stop;

    public FakeChildProcess(int pid, ChildScript script, TimeProvider clock)
    {
        Pid = pid;
        _script = script;
        _clock = clock;
        if (script.Exit is { } exit)
        {
            if (script.RunsFor <= TimeSpan.Zero)
            {
                _exited.SetResult(exit);
            }
            else
            {
                _exitTimer = clock.CreateTimer(_ => _exited.TrySetResult(exit), null, script.RunsFor, Timeout.InfiniteTimeSpan);
            }
        }
    }

    public int Pid { get; }

    public Task<ChildExit> Exited => _exited.Task;

    /// <summary>Signals forwarded to the child's group with <see cref="Signal"/>.</summary>
    public ConcurrentQueue<int> Forwarded { get; } = new();

    /// <summary>Every call to <see cref="StopAsync"/>: the polite signal and the grace.</summary>
    public ConcurrentQueue<(int Signal, TimeSpan Grace)> StopRequests { get; } = new();

    /// <summary>Every call to <see cref="SweepAsync"/>: the grace given to leftovers.</summary>
    public ConcurrentQueue<TimeSpan> Sweeps { get; } = new();

    /// <summary>Ends the child from the test, as if it exited on its own.</summary>
    public void ExitNow(ChildExit exit) => _exited.TrySetResult(exit);

    public void Signal(int signal) => Forwarded.Enqueue(signal);

    public Task<bool> StopAsync(int signal, TimeSpan grace)
    {
        StopRequests.Enqueue((signal, grace));
        lock (_gate)
        {
            return _stop ??= StopCoreAsync(signal, grace);
        }
    }

    public Task<int> SweepAsync(TimeSpan grace)
    {
        Sweeps.Enqueue(grace);
        return Task.FromResult(0);
    }

    public AttemptUsage? Finish() => _script.Usage;

    private async Task<bool> StopCoreAsync(int signal, TimeSpan grace)
    {
        _exitTimer?.Dispose();
        if (!_script.IgnoresPoliteSignal)
        {
            _exited.TrySetResult(ChildExit.Killed(signal));
            await _exited.Task.ConfigureAwait(false);
            return false;
        }
        using var kill = _clock.CreateTimer(_ => _exited.TrySetResult(ChildExit.Killed(Signals.SIGKILL)), null, grace, Timeout.InfiniteTimeSpan);
        await _exited.Task.ConfigureAwait(false);
        return true;
    }
}
