using BudgetRun.Engine;

namespace BudgetRun.ControlPlane;

/// <summary>Keeps what <c>GET /status</c> shows about the run's progress.</summary>
internal sealed class RunStatusTracker : IRunObserver
{
    private readonly Lock _gate = new();
    private RunPhase _phase = RunPhase.Starting;
    private int _attempt;
    private int? _childPid;
    private DateTimeOffset? _nextAttemptAt;
    private AttemptMeter? _meter;

    /// <summary>The running attempt's meter; null when no metered attempt runs.</summary>
    public AttemptMeter? Meter => Volatile.Read(ref _meter);

    public void Metering(AttemptMeter? meter) => Volatile.Write(ref _meter, meter);

    public (RunPhase Phase, int Attempt, int? ChildPid, DateTimeOffset? NextAttemptAt) Snapshot()
    {
        lock (_gate)
        {
            return (_phase, _attempt, _childPid, _phase == RunPhase.BackingOff ? _nextAttemptAt : null);
        }
    }

    public void AttemptStarted(int number, int pid)
    {
        lock (_gate)
        {
            _attempt = number;
            _childPid = pid;
        }
    }

    public void AttemptEnded(AttemptRecord attempt)
    {
        lock (_gate)
        {
            _attempt = attempt.Number;
            _childPid = null;
        }
    }

    public void BackingOff(TimeSpan delay, DateTimeOffset nextAttemptAt)
    {
        lock (_gate)
        {
            _nextAttemptAt = nextAttemptAt;
        }
    }

    public void PhaseChanged(RunPhase phase)
    {
        lock (_gate)
        {
            _phase = phase;
        }
    }
}
