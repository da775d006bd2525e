using System.Globalization;
using Microsoft.Data.Sqlite;

namespace BudgetRun.Ledgers.Sqlite;

/// <summary>
/// The ledger's tables. Money is in integer cents and time in Unix milliseconds. A bucket is one
/// window of one account (<see cref="BudgetWindow.BucketAt"/>); spent and reserved are kept as
/// counters so that a reservation reads and writes one row, and every reservation is a row too,
/// recording the run that made it. The version is <c>PRAGMA user_version</c>; each migration runs in
/// the same <c>BEGIN IMMEDIATE</c> transaction as the check, so concurrent openers migrate once and a
/// failed migration leaves the previous layout untouched.
/// </summary>
internal static class SqliteSchema
{
    public const int Version = 3;

    /// <summary>
    /// Version 1 as the first release wrote it; kept verbatim so that a new file passes through the
    /// same migrations as an old one.
    /// </summary>

    internal const string CreateVersion1 = """
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
        """;

    /// <summary>
    /// Migrations[n] takes version n+1 to n+2. Version 2: calendar windows and their time zone.
    /// Version 3: hierarchical accounts: the version of an account's terms, and the levels each
    /// unfinished reservation holds cents on (a reservation without rows holds them on its own
    /// account only, as every reservation of the previous layouts does); and the history.
    /// </summary>
    private static readonly string[] Migrations =
    [
        """
        ALTER TABLE accounts ADD COLUMN window_kind TEXT;
        ALTER TABLE accounts ADD COLUMN timezone TEXT;
        """,
        """
        ALTER TABLE accounts ADD COLUMN terms_version INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE reservation_levels (
            id     TEXT NOT NULL,
            level  TEXT NOT NULL,
            bucket TEXT NOT NULL,
            PRIMARY KEY (id, level)
        ) WITHOUT ROWID;
        CREATE INDEX reservation_levels_by_level ON reservation_levels (level, id);
        CREATE TABLE history (
            seq            INTEGER PRIMARY KEY AUTOINCREMENT,
            at             INTEGER NOT NULL,
            key            TEXT    NOT NULL,
            kind           INTEGER NOT NULL,
            bucket         TEXT,
            spent_delta    INTEGER NOT NULL,
            reserved_delta INTEGER NOT NULL,
            reservation    TEXT,
            origin         TEXT,
            run_id         TEXT,
            host           TEXT,
            pid            INTEGER,
            user_name      TEXT,
            detail         TEXT
        );
        CREATE INDEX history_by_key ON history (key, at);
        CREATE INDEX history_by_time ON history (at);
        """,
    ];

    /// <summary>WAL mode, then (when missing or older) the tables and migrations in one immediate transaction; refuses a database from a newer version.</summary>
    public static void Ensure(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        // Persistent in the file: readers never block the writer, and the writer never blocks readers.
        command.CommandText = "PRAGMA journal_mode = WAL;";
        command.ExecuteScalar();
        if (ReadVersion(command) == Version)
        {
            return;
        }
        command.CommandText = "BEGIN IMMEDIATE;";
        command.ExecuteNonQuery();
        try
        {
            var version = ReadVersion(command);
            if (version == 0)
            {
                command.CommandText = CreateVersion1;
                command.ExecuteNonQuery();
                version = 1;
            }
            for (; version < Version; version++)
            {
                command.CommandText = Migrations[version - 1] + $"PRAGMA user_version = {version + 1};";
                command.ExecuteNonQuery();
            }
            command.CommandText = "COMMIT;";
            command.ExecuteNonQuery();
        }
        catch
        {
            command.CommandText = "ROLLBACK;";
            try
            {
                command.ExecuteNonQuery();
            }
            catch (SqliteException)
            {
                // Already rolled back by SQLite.
            }
            throw;
        }
    }

    private static int ReadVersion(SqliteCommand command)
    {
        command.CommandText = "PRAGMA user_version;";
        var version = Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        return version <= Version
            ? version
            : throw new InvalidDataException(
                $"the database has schema version {version}, written by a newer budget-run (this one knows {Version})");
    }
}
