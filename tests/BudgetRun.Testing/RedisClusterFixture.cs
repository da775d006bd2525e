namespace BudgetRun.Testing;

/// <summary>
/// A three-node Redis Cluster for xunit to share per collection. The tests that share it use
/// account keys of their own.
/// </summary>
public sealed class RedisClusterFixture : IAsyncLifetime
{
    private RedisCluster? _cluster;

    internal RedisCluster Cluster => _cluster ?? throw new InvalidOperationException("the Redis Cluster has not started");

    public async Task InitializeAsync() => _cluster = await RedisCluster.StartAsync();

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
