namespace BudgetRun.Testing;

/// <summary>
/// A redis-server for xunit to share: per class (<c>IClassFixture</c>) in the CLI tests, per
/// collection in the ledger tests. The tests that share it use account keys of their own.
/// </summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private RedisServer? _server;

    internal RedisServer Server => _server ?? throw new InvalidOperationException("the redis-server has not started");

    public async Task InitializeAsync() => _server = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
