using System.Globalization;

namespace BudgetRun.Ledgers.Locations;

/// <summary>One server of a Redis ledger's URI: a host (a name, an IPv4 or an IPv6 address) and a port.</summary>
internal readonly record struct RedisEndpoint(string Host, int Port)
{
    /// <summary><c>HOST:PORT</c>, an IPv6 address in brackets.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}");
}
