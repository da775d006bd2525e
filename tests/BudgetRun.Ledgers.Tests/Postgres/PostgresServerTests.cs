using Npgsql;

namespace BudgetRun.Ledgers.Tests.Postgres;

/// <summary>The test server itself: a real cluster that checks passwords and survives a crash-like stop.</summary>
public sealed class PostgresServerTests
{
    [Fact]
    public async Task Server_AcceptsItsUserWithThePassword_RefusesAWrongOne_AndKeepsDataAcrossAnImmediateStop()
    {
        await using var server = await PostgresServer.StartAsync("right-password");

        await ExecuteAsync(server, "right-password", "CREATE TABLE kept (n int); INSERT INTO kept VALUES (42);");
        var refused = await Assert.ThrowsAsync<PostgresException>(async () => await ExecuteAsync(server, "wrong", "SELECT 1;"));
        server.Stop();
        await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await ExecuteAsync(server, "right-password", "SELECT 1;"));
        await server.RestartAsync();

        Assert.Equal(PostgresErrorCodes.InvalidPassword, refused.SqlState);
        Assert.Equal(42, await ExecuteAsync(server, "right-password", "SELECT n FROM kept;"));
    }

    private static async Task<object?> ExecuteAsync(PostgresServer server, string password, string sql)
    {
        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = server.Port,
            Username = PostgresServer.User,
            Password = password,
            Database = PostgresServer.Database,
            Pooling = false,
        }.ToString();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
