namespace BudgetRun.Ledgers.Tests.Infrastructure;

/// <summary>The system clock off by <see cref="Skew"/>, which a test may change: a replica whose clock drifted, or was stepped.</summary>
internal sealed class SkewedClock(TimeSpan skew) : TimeProvider
{
    public TimeSpan Skew { get; set; } = skew;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Skew;
}
