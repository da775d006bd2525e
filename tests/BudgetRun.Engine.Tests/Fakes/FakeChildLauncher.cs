using BudgetRun.Engine.Processes;

namespace BudgetRun.Engine.Tests.Fakes;

/// <summary>
/// Starts fake children, one script per attempt; the last script repeats for every further attempt.
/// Records when (on the fake clock) each attempt started.
/// </summary>
internal sealed class FakeChildLauncher(TimeProvider clock, IReadOnlyList<ChildScript> scripts) : IChildLauncher
{
    private readonly Lock _gate = new();
    private readonly List<FakeChildProcess> _children = [];
    private readonly List<DateTimeOffset> _startTimes = [];
    private readonly List<ChildStartInfo> _startInfos = [];
    private int _starts;

    /// <summary>Calls to <see cref="Start"/>, failed starts included.</summary>
    public int Starts => Volatile.Read(ref _starts);

    public IReadOnlyList<FakeChildProcess> Children
    {
        get
        {
            lock (_gate)
            {
                return [.. _children];
            }
        }
    }

    public IReadOnlyList<DateTimeOffset> StartTimes
    {
        get
        {
            lock (_gate)
            {
                return [.. _startTimes];
            }
        }
    }

    /// <summary>What each start was asked for (its command and environment), failed starts included.</summary>
    public IReadOnlyList<ChildStartInfo> StartInfos
    {
        get
        {
            lock (_gate)
            {
                return [.. _startInfos];
            }
        }
    }

    public IChildProcess Start(ChildStartInfo startInfo)
    {
        lock (_gate)
        {
            var index = _starts;
            _startInfos.Add(startInfo);
            var script = scripts[Math.Min(index, scripts.Count - 1)];
            _startTimes.Add(clock.GetUtcNow());
            if (script.StartFailure is { } failure)
            {
                Interlocked.Increment(ref _starts);
                throw new ChildStartException(failure, $"cannot start {startInfo.Command[0]}: {failure}");
            }
            // Counted only once the child (and its exit timer) exists, so a test that saw the
            // start can move the clock.
            var child = new FakeChildProcess(1000 + index, script, clock);
            _children.Add(child);
            Interlocked.Increment(ref _starts);
            return child;
        }
    }
}
