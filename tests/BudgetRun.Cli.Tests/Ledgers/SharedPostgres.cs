namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// The one PostgreSQL server of this test assembly (<see cref="LedgerKind.Postgres"/>): a cluster
/// costs an <c>initdb</c> of a few seconds, and every test uses an account key of its own, so the
/// tests share one, started by the first test that names it and stopped when the test process exits.
/// </summary>
internal static class SharedPostgres
{
    // Task.Run: the start must not continue on xunit's synchronization context, whose thread the first test blocks.
    private static readonly Lazy<Task<PostgresServer>> _server = new(() => Task.Run(StartAsync));

    /// <summary>
    /// The server, started on the first call. Blocking: the ledger's URI goes into argument arrays
    /// built synchronously, and only the first caller waits. A failed start fails every caller alike.
    /// </summary>
    public static PostgresServer Server => _server.Value.GetAwaiter().GetResult();

    private static async Task<PostgresServer> StartAsync()
    {
        var server = await PostgresServer.StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    }
}
