using System.Globalization;

namespace BudgetRun.Ledgers.Locations;

/// <summary>
/// A Redis server, the seed list of a Redis Cluster (the client discovers the other nodes from
/// any of them), or the sentinels of a primary with replicas (the client asks them which server is
/// the primary, and follows a failover): the shared ledger of a fleet. The password stays out of
/// every text form.
/// </summary>
internal sealed class RedisLedgerLocation : LedgerLocation
{
    public RedisLedgerLocation(IReadOnlyList<RedisEndpoint> endpoints, int database, bool useTls, string? password, string? serviceName = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(endpoints.Count);
        (Endpoints, Database, UseTls, Password, ServiceName) = (endpoints, database, useTls, password, serviceName);
    }

    public RedisLedgerLocation(string host, int port, int database, bool useTls, string? password)
        : this([new RedisEndpoint(host, port)], database, useTls, password)
    {
    }

    /// <summary>The servers given, in the order given; one for a single server, the seeds for a cluster, the sentinels for Sentinel.</summary>
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

    /// <summary>The primary's name as the sentinels know it; null when <see cref="Endpoints"/> are Redis servers, not sentinels.</summary>
    public string? ServiceName { get; }

    /// <summary>Whether <see cref="Endpoints"/> are sentinels (<c>redis+sentinel://</c>).</summary>
    public bool UsesSentinel => ServiceName is not null;

    public override string DisplayName => UsesSentinel
        ? string.Create(CultureInfo.InvariantCulture, $"{(UseTls ? "rediss" : "redis")}+sentinel://{string.Join(',', Endpoints)}/{ServiceName}/{Database}")
        : string.Create(CultureInfo.InvariantCulture, $"{(UseTls ? "rediss" : "redis")}://{string.Join(',', Endpoints)}/{Database}");
}
