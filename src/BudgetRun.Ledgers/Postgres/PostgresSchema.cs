using System.Globalization;
using Npgsql;

namespace BudgetRun.Ledgers.Postgres;

/// <summary>
/// The ledger's tables, in the schema <c>budget_run</c> of the database the URI names (so they sit
/// beside an application's own without touching them). Money is in integer cents and time in Unix
/// milliseconds, as in <see cref="Sqlite.SqliteSchema"/>; keys compare byte by byte (<c>COLLATE "C"</c>)
/// so that listing by prefix orders as the other ledgers do. The version is the one row of
/// <c>budget_run.schema_version</c>. A migration runs in one transaction under a transaction-scoped
/// advisory lock, so twenty processes opening a new database at once migrate it once and the others
/// wait for that, and a failed migration leaves the previous layout untouched.
/// </summary>
internal static class PostgresSchema
{
    public const int Version = 1;

    /// <summary>The advisory lock of the migration: "budget-r" in ASCII, a number no other program picks by chance.</summary>
    private const long MigrationLock = 0x6275646765742d72;

    /// <summary>Migrations[n] takes version n to n+1. Version 1: accounts (with the version of their
    /// terms), buckets, reservations and the levels each unfinished one holds cents on (a hierarchical
    /// key's), reported spend, the history. Not released before the hierarchy and the history came,
    /// so they are part of version 1.</summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE SCHEMA IF NOT EXISTS budget_run;
        CREATE TABLE budget_run.accounts (
            key            text COLLATE "C" NOT NULL PRIMARY KEY,
            limit_cents    bigint,
            window_seconds bigint,
            window_kind    text,
            timezone       text,
            terms_version  bigint  NOT NULL DEFAULT 0,
            killed         boolean NOT NULL DEFAULT false,
            kill_reason    text,
            killed_at      bigint,
            updated_at     bigint  NOT NULL
        );
        CREATE TABLE budget_run.buckets (
            key            text COLLATE "C" NOT NULL,
            bucket         text    NOT NULL,
            spent_cents    bigint  NOT NULL DEFAULT 0,
            reserved_cents bigint  NOT NULL DEFAULT 0,
            PRIMARY KEY (key, bucket)
        );
        CREATE TABLE budget_run.reservations (
            id             text     NOT NULL PRIMARY KEY,
            key            text COLLATE "C" NOT NULL,
            bucket         text     NOT NULL,
            cents          bigint   NOT NULL,
            state          smallint NOT NULL,
            created_at     bigint   NOT NULL,
            expires_at     bigint   NOT NULL,
            settled_cents  bigint,
            nonce          text,
            ended_at       bigint,
            run_id         text     NOT NULL,
            pid            integer  NOT NULL,
            host           text     NOT NULL
        );
        CREATE INDEX reservations_by_state ON budget_run.reservations (key, state, expires_at);
        CREATE TABLE budget_run.spend_operations (
            id             text   NOT NULL PRIMARY KEY,
            key            text COLLATE "C" NOT NULL,
            created_at     bigint NOT NULL
        );
        CREATE INDEX spend_operations_by_age ON budget_run.spend_operations (key, created_at);
        CREATE TABLE budget_run.reservation_levels (
            id             text NOT NULL,
            level          text COLLATE "C" NOT NULL,
            bucket         text NOT NULL,
            PRIMARY KEY (id, level)
        );
        CREATE INDEX reservation_levels_by_level ON budget_run.reservation_levels (level, id);
        CREATE TABLE budget_run.history (
            seq            bigserial PRIMARY KEY,
            at             bigint   NOT NULL,
            key            text COLLATE "C" NOT NULL,
            kind           smallint NOT NULL,
            bucket         text,
            spent_delta    bigint   NOT NULL,
            reserved_delta bigint   NOT NULL,
            reservation    text,
            origin         text,
            run_id         text,
            host           text,
            pid            integer,
            user_name      text,
            detail         text
        );
        CREATE INDEX history_by_key ON budget_run.history (key, at);
        CREATE INDEX history_by_time ON budget_run.history (at);
        """,
    ];

    /// <summary>Creates or migrates the tables when missing or older; refuses a database from a newer budget-run.</summary>
    public static async Task EnsureAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            await MigrateAsync(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.DuplicateSchema
            or PostgresErrorCodes.UniqueViolation)
        {
            // Another process migrated first and this session's catalog cache had not caught up when
            // it looked (the whole attempt rolled back): a new transaction sees the tables.
            await MigrateAsync(connection, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task MigrateAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // The usual case reads one row and writes nothing (a role that may not create tables opens a migrated database).
        if (await ReadVersionAsync(connection, null, cancellationToken).ConfigureAwait(false) == Version)
        {
            return;
        }
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({MigrationLock.ToString(CultureInfo.InvariantCulture)});", connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        // Read again under the lock: another process may have migrated while this one waited.
        for (var version = await ReadVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false); version < Version; version++)
        {
            var record = version == 0
                ? "CREATE TABLE budget_run.schema_version (version integer NOT NULL); INSERT INTO budget_run.schema_version VALUES (1);"
                : string.Create(CultureInfo.InvariantCulture, $"UPDATE budget_run.schema_version SET version = {version + 1};");
            await using var command = new NpgsqlCommand(Migrations[version] + record, connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> ReadVersionAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        // A scan of the catalog under the statement's snapshot, not a name lookup (whose cache may lag behind another session's commit).
        await using var exists = new NpgsqlCommand("""
            SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                            WHERE n.nspname = 'budget_run' AND c.relname = 'schema_version');
            """, connection, transaction);
        if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
        {
            return 0;
        }
        await using var read = new NpgsqlCommand("SELECT max(version) FROM budget_run.schema_version;", connection, transaction);
        var version = await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int stored ? stored : 0;
        return version <= Version
            ? version
            : throw new InvalidDataException(
                $"the database has ledger schema version {version}, written by a newer budget-run (this one knows {Version})");
    }
}
