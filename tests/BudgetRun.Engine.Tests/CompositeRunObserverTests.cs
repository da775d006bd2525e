namespace BudgetRun.Engine.Tests;

public sealed class CompositeRunObserverTests
{
    /// <summary>
    /// Every event of <see cref="IRunObserver"/> has a default (empty) body, so a composite that
    /// does not forward a new one compiles and silently drops it (the metered attempt's meter once
    /// never reached /status): each must be its own method on the composite.
    /// </summary>
    [Fact]
    public void ForwardsEveryEventOfTheInterface()
    {
        var map = typeof(CompositeRunObserver).GetInterfaceMap(typeof(IRunObserver));

        for (var i = 0; i < map.InterfaceMethods.Length; i++)
        {
            Assert.True(map.TargetMethods[i].DeclaringType == typeof(CompositeRunObserver),
                $"CompositeRunObserver does not forward IRunObserver.{map.InterfaceMethods[i].Name}");
        }
    }

    [Fact]
    public void Metering_ReachesEveryObserver()
    {
        var first = new Fakes.RecordingObserver();
        var second = new Fakes.RecordingObserver();
        var meter = new AttemptMeter(() => new MeterReading(1, "wall", 1, 0, 0, DateTimeOffset.UnixEpoch, null));

        new CompositeRunObserver([first, second]).Metering(meter);

        Assert.Same(meter, Assert.Single(first.Meters));
        Assert.Same(meter, Assert.Single(second.Meters));
    }
}
