using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// One redis-server per test class (so classes run in parallel without sharing a server); the
/// tests of a class use accounts of their own, so they do not see each other's spend.
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
