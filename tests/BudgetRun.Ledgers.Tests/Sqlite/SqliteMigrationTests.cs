using BudgetRun.Ledgers.Locations;
using Microsoft.Data.Sqlite;

namespace BudgetRun.Ledgers.Tests.Sqlite;

/// <summary>
/// A ledger file written by the previous release (schema version 1) is migrated in place and keeps
/// its accounts, spend and open reservations. The old layout is written here with the old release's
/// own SQL, not with the code's copy of it, so the two cannot drift together.
/// </summary>
public sealed class SqliteMigrationTests : IDisposable
{
    private const string PreviousRelease = """
        PRAGMA journal_mode = WAL;
        BEGIN IMMEDIATE;
        CREATE TABLE IF NOT EXISTS accounts (
            key            TEXT    NOT NULL PRIMARY KEY,
            limit_cents    INTEGER,
            window_seconds INTEGER,
            killed         INTEGER NOT NULL DEFAULT 0,
            kill_reason    TEXT,
            killed_at      INTEGER,
            updated_at     INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS buckets (
            key            TEXT    NOT NULL,
            bucket         TEXT    NOT NULL,
            spent_cents    INTEGER NOT NULL DEFAULT 0,
            reserved_cents INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (key, bucket)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS reservations (
            id             TEXT    NOT NULL PRIMARY KEY,
            key            TEXT    NOT NULL,
            bucket         TEXT    NOT NULL,
            cents          INTEGER NOT NULL,
            state          INTEGER NOT NULL,
            created_at     INTEGER NOT NULL,
            expires_at     INTEGER NOT NULL,
            settled_cents  INTEGER,
            nonce          TEXT,
            ended_at       INTEGER,
            run_id         TEXT    NOT NULL,
            pid            INTEGER NOT NULL,
            host           TEXT    NOT NULL
        );
        CREATE INDEX IF NOT EXISTS reservations_by_state ON reservations (key, state, expires_at);
        PRAGMA user_version = 1;
        COMMIT;
        """;

    private readonly Scratch _directory = new();

    private string DatabasePath => _directory.Path("ledger.db");

    private LedgerLocation Location => LedgerUriParser.Parse("sqlite:" + DatabasePath, Environment.GetEnvironmentVariable);

    [Fact]
    public async Task LedgerOfThePreviousRelease_IsMigrated_AndKeepsItsAccountsSpendAndReservations()
    {
        var now = DateTimeOffset.UtcNow;
        var hour = BudgetWindow.FromSeconds(3600);
        var farFuture = now.AddDays(1).ToUnixTimeMilliseconds();
        Execute(PreviousRelease + $"""
            INSERT INTO accounts (key, limit_cents, window_seconds, updated_at) VALUES ('nightly', 100, 3600, 1);
            INSERT INTO accounts (key, limit_cents, window_seconds, killed, kill_reason, killed_at, updated_at)
                VALUES ('forever', 500, 0, 1, 'INC-1', 1, 1);
            INSERT INTO buckets (key, bucket, spent_cents, reserved_cents) VALUES ('nightly', '{hour.BucketAt(now)}', 40, 25);
            INSERT INTO reservations (id, key, bucket, cents, state, created_at, expires_at, run_id, pid, host)
                VALUES ('r1', 'nightly', '{hour.BucketAt(now)}', 25, 0, 1, {farFuture}, 'old-run', 1, 'old-host');
            """);

        await using var nightly = await LedgerFactory.OpenAsync(Location, new LedgerAccount("nightly", null, null), RunIdentity.ForCurrentProcess());
        await using var forever = await LedgerFactory.OpenAsync(Location, new LedgerAccount("forever", 9, BudgetWindow.None), RunIdentity.ForCurrentProcess());

        Assert.Equal((long)BudgetRun.Ledgers.Sqlite.SqliteSchema.Version, Scalar("PRAGMA user_version;"));
        Assert.Equal(new AccountTerms(100, hour), nightly.Terms);
        var status = await nightly.StatusAsync(default);
        Assert.Equal((100L, 40L, 25L), (status.BudgetCents!.Value, status.SpentCents, status.ReservedCents));
        Assert.Equal(SettleOutcome.Settled, await nightly.SettleByIdAsync("r1", 20, default));
        Assert.Equal(new AccountTerms(500, BudgetWindow.None), forever.Terms); // a run never changes it
        Assert.Equal((true, "INC-1"), ((await forever.StatusAsync(default)).KillSwitch, (await forever.StatusAsync(default)).KillReason));
    }

    [Fact]
    public async Task Migration_IsOneTransaction_AndAFailedOneLeavesThePreviousLayout()
    {
        Execute(PreviousRelease);
        // Make the migration fail half-way: a column of that name already exists.
        Execute("ALTER TABLE accounts ADD COLUMN timezone TEXT;");

        await Assert.ThrowsAsync<BudgetRun.Engine.Budget.LedgerUnavailableException>(async () =>
            await LedgerFactory.OpenAsync(Location, new LedgerAccount("k", null, null), RunIdentity.ForCurrentProcess()));

        Assert.Equal(1L, Scalar("PRAGMA user_version;"));
        Assert.Equal(0L, Scalar("SELECT COUNT(*) FROM pragma_table_info('accounts') WHERE name = 'window_kind';"));
    }

    public void Dispose() => _directory.Dispose();

    private void Execute(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private object? Scalar(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
