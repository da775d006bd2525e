using System.Globalization;

namespace BudgetRun.Ledgers.Locations;

/// <summary>
/// A PostgreSQL database: the shared ledger of a fleet that already runs one. The password (from
/// <c>PGPASSWORD</c>, else the <c>.pgpass</c> file) stays out of every text form.
/// </summary>
internal sealed class PostgresLedgerLocation(
    string host, int port, string database, string user, string? sslMode, string? password, string passFile) : LedgerLocation
{
    /// <summary>libpq's default: TLS when the server offers it, plain otherwise.</summary>
    public const string DefaultSslMode = "prefer";

    public string Host { get; } = host;

    public int Port { get; } = port;

    public string Database { get; } = database;

    /// <summary>From the URI, else <c>PGUSER</c>, else the name of the user running budget-run (as libpq does).</summary>
    public string User { get; } = user;

    /// <summary>As libpq spells it: disable, allow, prefer, require, verify-ca, verify-full.</summary>
    public string SslMode { get; } = sslMode ?? DefaultSslMode;

    /// <summary>Whether <c>?sslmode=</c> was given (and so is shown in <see cref="DisplayName"/>).</summary>
    public bool SslModeGiven { get; } = sslMode is not null;

    /// <summary>From <c>PGPASSWORD</c>; never in <see cref="DisplayName"/>. Null: the <see cref="PassFile"/> is read.</summary>
    public string? Password { get; } = password;

    /// <summary><c>PGPASSFILE</c>, else <c>~/.pgpass</c>; used only without <see cref="Password"/>.</summary>
    public string PassFile { get; } = passFile;

    public override string DisplayName => string.Create(CultureInfo.InvariantCulture,
        $"postgres://{Uri.EscapeDataString(User)}@{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}/{Uri.EscapeDataString(Database)}{(SslModeGiven ? "?sslmode=" + SslMode : "")}");
}
