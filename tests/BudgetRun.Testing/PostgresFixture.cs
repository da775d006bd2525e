namespace BudgetRun.Testing;

/// <summary>
/// A PostgreSQL server for xunit to share (per collection in the ledger tests; the tests use account
/// keys of their own). Its password reaches the clients the way an operator gives it: a
/// <c>.pgpass</c> file named by <c>PGPASSFILE</c>, set for this test process and so for the worker
/// processes it starts.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    internal PostgresServer Server => _server ?? throw new InvalidOperationException("the PostgreSQL server has not started");

    public async Task InitializeAsync()
    {
        _server = await PostgresServer.StartAsync();
        Environment.SetEnvironmentVariable("PGPASSFILE", _server.WritePassFile());
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            Environment.SetEnvironmentVariable("PGPASSFILE", null);
            await _server.DisposeAsync();
        }
    }
}
