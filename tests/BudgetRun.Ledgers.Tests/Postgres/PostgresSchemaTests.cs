using BudgetRun.Engine.Budget;
using BudgetRun.Ledgers.Locations;
using BudgetRun.Ledgers.Tests.Infrastructure;
using Npgsql;

namespace BudgetRun.Ledgers.Tests.Postgres;

/// <summary>The tables are made and versioned at open, once, however many clients open a new database at the same moment.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresSchemaTests(PostgresFixture postgres)
{
    [Fact]
    public async Task TwentyClientsOpeningANewDatabaseAtOnce_MigrateItOnce_AndShareOneAccount()
    {
        var database = await CreateDatabaseAsync();
        var location = LedgerUriParser.Parse(postgres.Server.UriOf(database), Environment.GetEnvironmentVariable);

        var ledgers = await Task.WhenAll(Enumerable.Range(1, 20).Select(i => Task.Run(async () =>
            await LedgerFactory.OpenAsync(location, new LedgerAccount("shared", i * 10, BudgetWindow.None), RunIdentity.ForCurrentProcess()))));
        try
        {
            Assert.Single(ledgers.Select(ledger => ledger.Terms).Distinct());
            Assert.Equal(1L, await ScalarAsync(database, "SELECT count(*) FROM budget_run.schema_version;"));
            Assert.Equal(1, await ScalarAsync(database, "SELECT version FROM budget_run.schema_version;"));
            Assert.Equal(ReserveStatus.Reserved, (await ledgers[0].ReserveAsync(10, default)).Status);
            Assert.Equal(10, (await ledgers[19].StatusAsync(default)).ReservedCents);
        }
        finally
        {
            foreach (var ledger in ledgers)
            {
                await ledger.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task DatabaseOfANewerBudgetRun_IsRefusedWithOneLine_AndLeftAlone()
    {
        var database = await CreateDatabaseAsync();
        var location = LedgerUriParser.Parse(postgres.Server.UriOf(database), Environment.GetEnvironmentVariable);
        await (await LedgerFactory.OpenAsync(location, new LedgerAccount("k", 100, BudgetWindow.None), RunIdentity.ForCurrentProcess())).DisposeAsync();
        await ScalarAsync(database, "UPDATE budget_run.schema_version SET version = 99;");

        var error = await Assert.ThrowsAsync<LedgerUnavailableException>(async () =>
            await LedgerFactory.OpenAsync(location, new LedgerAccount("k", 100, BudgetWindow.None), RunIdentity.ForCurrentProcess()));

        Assert.Equal($"ledger {location.DisplayName} is unavailable: the database has ledger schema version 99, written by a newer budget-run (this one knows 1)",
            error.Message);
        Assert.Equal(99, await ScalarAsync(database, "SELECT version FROM budget_run.schema_version;"));
    }

    private async Task<string> CreateDatabaseAsync()
    {
        var database = "fresh_" + Guid.NewGuid().ToString("N")[..12];
        await ScalarAsync(PostgresServer.Database, $"CREATE DATABASE {database};");
        return database;
    }

    private async Task<object?> ScalarAsync(string database, string sql)
    {
        var server = postgres.Server;
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = server.Port,
            Username = PostgresServer.User,
            Password = server.Password,
            Database = database,
            Pooling = false,
        }.ToString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
