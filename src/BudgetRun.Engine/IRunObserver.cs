namespace BudgetRun.Engine;

/// <summary>Receives the run's events (metrics, status). Called on the supervisor's flow; keep it quick.</summary>
public interface IRunObserver
{
    void AttemptStarted(int number, int pid) { }

    void AttemptEnded(AttemptRecord attempt) { }

    void BackingOff(TimeSpan delay, DateTimeOffset nextAttemptAt) { }

    /// <summary>A metered attempt has started (its meter), or the metered attempt has ended (null).</summary>
    void Metering(AttemptMeter? meter) { }

    void PhaseChanged(RunPhase phase) { }

    void Finished(RunResult result) { }
}
