namespace BudgetRun.Testing;

/// <summary>
/// A Redis Sentinel setup (primary, replica, three sentinels) for xunit to share per collection.
/// The tests that share it use account keys of their own and never move its primary; the failover
/// tests start setups of their own.
/// </summary>
public sealed class RedisSentinelFixture : IAsyncLifetime
{
    private RedisSentinel? _sentinel;

    internal RedisSentinel Sentinel => _sentinel ?? throw new InvalidOperationException("the Redis Sentinel setup has not started");

    public async Task InitializeAsync() => _sentinel = await RedisSentinel.StartAsync();

    public async Task DisposeAsync()
    {
        if (_sentinel is not null)
        {
            await _sentinel.DisposeAsync();
        }
    }
}
