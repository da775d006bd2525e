using System.Collections.Concurrent;

namespace BudgetRun.Engine.Tests.Fakes;

/// <summary>Keeps the run's events for assertions.</summary>
internal sealed class RecordingObserver : IRunObserver
{
    public ConcurrentQueue<TimeSpan> Backoffs { get; } = new();

    public ConcurrentQueue<RunPhase> Phases { get; } = new();

    public void BackingOff(TimeSpan delay, DateTimeOffset nextAttemptAt) => Backoffs.Enqueue(delay);

    public void PhaseChanged(RunPhase phase) => Phases.Enqueue(phase);

    /// <summary>Every <see cref="IRunObserver.Metering"/> call: a meter when a metered attempt starts, null when it ends.</summary>
    public ConcurrentQueue<AttemptMeter?> Meters { get; } = new();

    public void Metering(AttemptMeter? meter) => Meters.Enqueue(meter);
}
