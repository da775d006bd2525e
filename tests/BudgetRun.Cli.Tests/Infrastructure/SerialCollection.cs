namespace BudgetRun.Cli.Tests.Infrastructure;

/// <summary>
/// Tests that measure time or send signals run in this collection: one at a time, after the
/// parallel ones, so that a loaded machine does not blur their timings.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "signals and timing";
}
