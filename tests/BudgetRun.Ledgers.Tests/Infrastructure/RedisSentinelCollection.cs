namespace BudgetRun.Ledgers.Tests.Infrastructure;

/// <summary>
/// The Sentinel tests: the shared <see cref="RedisSentinelFixture"/> setup and the failure tests'
/// own. Five Redis processes each, pinging every second, plus failovers: run alone, after the
/// parallel collections, so that neither they nor the cluster's timing tests starve on two cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RedisSentinelCollection : ICollectionFixture<RedisSentinelFixture>
{
    public const string Name = "redis-sentinel";
}
