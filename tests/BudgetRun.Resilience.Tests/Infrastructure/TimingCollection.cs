namespace BudgetRun.Resilience.Tests.Infrastructure;

/// <summary>
/// Tests that measure time (kill within the grace, slow clients cut off, Redis paused for a known
/// time) run in this collection: one at a time, after the parallel ones, so that the load tests do
/// not blur their timings.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    public const string Name = "resilience timing";
}
