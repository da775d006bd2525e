using System.Collections.Concurrent;

namespace BudgetRun.Engine.Tests.Fakes;

/// <summary>Keeps the run's events for assertions.</summary>
internal sealed class RecordingObserver : IRunObserver
{
    public ConcurrentQueue<TimeSpan> Backoffs { get; } = new();

    public ConcurrentQueue<RunPhase> Phases { get; } = new();

    public void BackingOff(TimeSpan delay, DateTimeOffset nextAttemptAt) => Backoffs.Enqueue(delay);

    public void PhaseChanged(RunPhase phase) => Phases.Enqueue(phase);
}
