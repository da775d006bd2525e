namespace BudgetRun.Ledgers.Tests.Infrastructure;

/// <summary>Measurements: run alone, after the parallel tests, so that they measure the ledger and not the suite.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    public const string Name = "timing";
}
