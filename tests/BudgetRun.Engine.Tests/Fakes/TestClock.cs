using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace BudgetRun.Engine.Tests.Fakes;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that remembers every timer created on it, so a test can wait
/// until the supervisor is really blocked on a backoff delay before it moves the clock.
/// </summary>
internal sealed class TestClock : FakeTimeProvider
{
    private readonly ConcurrentQueue<(DateTimeOffset CreatedAt, TimeSpan DueTime)> _timers = new();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _timers.Enqueue((GetUtcNow(), dueTime));
        return timer;
    }

    /// <summary>Whether a timer of <paramref name="dueTime"/> was created at the current fake instant.</summary>
    public bool HasTimerCreatedNow(TimeSpan dueTime)
    {
        var now = GetUtcNow();
        return _timers.Any(timer => timer.CreatedAt == now && timer.DueTime == dueTime);
    }
}
