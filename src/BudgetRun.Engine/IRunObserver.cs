namespace BudgetRun.Engine;

/// <summary>The phase a run is in, as shown by status endpoints.</summary>
public enum RunPhase
{
    Starting,
    Running,
    BackingOff,
    Stopping,
    Finished,
}

/// <summary>Receives the run's events (metrics, status). Called on the supervisor's flow; keep it quick.</summary>
public interface IRunObserver
{
    void AttemptStarted(int number, int pid) { }

    void AttemptEnded(AttemptRecord attempt) { }

    void BackingOff(TimeSpan delay, DateTimeOffset nextAttemptAt) { }

    void PhaseChanged(RunPhase phase) { }

    void Finished(RunResult result) { }
}

internal sealed class NullRunObserver : IRunObserver
{
    public static readonly NullRunObserver Instance = new();
}
