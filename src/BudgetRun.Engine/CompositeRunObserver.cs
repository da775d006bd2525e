namespace BudgetRun.Engine;

/// <summary>Fans the run's events out to several observers (metrics, status, ...).</summary>
public sealed class CompositeRunObserver(IReadOnlyList<IRunObserver> observers) : IRunObserver
{
    public void AttemptStarted(int number, int pid)
    {
        foreach (var observer in observers)
        {
            observer.AttemptStarted(number, pid);
        }
    }

    public void AttemptEnded(AttemptRecord attempt)
    {
        foreach (var observer in observers)
        {
            observer.AttemptEnded(attempt);
        }
    }

    public void BackingOff(TimeSpan delay, DateTimeOffset nextAttemptAt)
    {
        foreach (var observer in observers)
        {
            observer.BackingOff(delay, nextAttemptAt);
        }
    }

    public void Metering(AttemptMeter? meter)
    {
        foreach (var observer in observers)
        {
            observer.Metering(meter);
        }
    }

    public void PhaseChanged(RunPhase phase)
    {
        foreach (var observer in observers)
        {
            observer.PhaseChanged(phase);
        }
    }

    public void Finished(RunResult result)
    {
        foreach (var observer in observers)
        {
            observer.Finished(result);
        }
    }
}
