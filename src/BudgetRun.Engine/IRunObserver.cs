namespace BudgetRun.Engine;

/// <summary>Receives the run's events (metrics, status). Called on the supervisor's flow; keep it quick.</summary>
public interface IRunObserver
{
    void AttemptStarted(int number, int pid) { }

    void AttemptEnded(AttemptRecord attempt) { }

    void BackingOff(TimeSpan delay, DateTimeOffset nextAttemptAt) { }

    void PhaseChanged(RunPhase phase) { }

    void Finished(RunResult result) { }
}
