namespace BudgetRun.Ledgers.Tests.Infrastructure;

/// <summary>One redis-server shared by the tests of <see cref="RedisCollection"/>; each test uses its own account keys.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private RedisServer? _server;

    internal RedisServer Server => _server ?? throw new InvalidOperationException("the server has not started");

    public async Task InitializeAsync() => _server = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
