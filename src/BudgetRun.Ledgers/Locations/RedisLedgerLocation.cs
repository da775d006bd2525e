using System.Globalization;

namespace BudgetRun.Ledgers.Locations;

/// <summary>
/// A Redis server, or the seed list of a Redis Cluster (the client discovers the other nodes from
/// any of them): the shared ledger of a fleet. The password stays out of every text form.
/// </summary>
internal sealed class RedisLedgerLocation : LedgerLocation
{
    public RedisLedgerLocation(IReadOnlyList<RedisEndpoint> endpoints, int database, bool useTls, string? password)
    {
        ArgumentOutOfRangeException.ThrowIfZero(endpoints.Count);
        (Endpoints, Database, UseTls, Password) = (endpoints, database, useTls, password);
    }

    public RedisLedgerLocation(string host, int port, int database, bool useTls, string? password)
        : this([new RedisEndpoint(host, port)], database, useTls, password)
    {
    }

    /// <summary>The servers given, in the order given; one for a single server, the seeds for a cluster.</summary>
    public IReadOnlyList<RedisEndpoint> Endpoints { get; }

    /// <summary>The first endpoint's host: the name a TLS certificate is checked against.</summary>
    public string Host => Endpoints[0].Host;

    public int Port => Endpoints[0].Port;

    /// <summary>The database number; a Redis Cluster has only database 0.</summary>
    public int Database { get; }

    /// <summary><c>rediss://</c>: TLS.</summary>
    public bool UseTls { get; }

    /// <summary>From <c>BUDGET_RUN_REDIS_PASSWORD</c>; never in <see cref="DisplayName"/>.</summary>
    public string? Password { get; }

    public override string DisplayName => string.Create(CultureInfo.InvariantCulture,
        $"{(UseTls ? "rediss" : "redis")}://{string.Join(',', Endpoints)}/{Database}");
}
