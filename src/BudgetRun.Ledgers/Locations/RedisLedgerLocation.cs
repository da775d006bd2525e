using System.Globalization;

namespace BudgetRun.Ledgers.Locations;

/// <summary>A Redis server: the shared ledger of a fleet. The password stays out of every text form.</summary>
internal sealed class RedisLedgerLocation(string host, int port, int database, bool useTls, string? password) : LedgerLocation
{
    public string Host { get; } = host;

    public int Port { get; } = port;

    public int Database { get; } = database;

    /// <summary><c>rediss://</c>: TLS.</summary>
    public bool UseTls { get; } = useTls;

    /// <summary>From <c>BUDGET_RUN_REDIS_PASSWORD</c>; never in <see cref="DisplayName"/>.</summary>
    public string? Password { get; } = password;

    public override string DisplayName => string.Create(CultureInfo.InvariantCulture,
        $"{(UseTls ? "rediss" : "redis")}://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}/{Database}");
}
