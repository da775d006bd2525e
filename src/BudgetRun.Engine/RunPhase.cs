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
