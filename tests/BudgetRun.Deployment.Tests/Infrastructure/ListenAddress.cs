using System.Globalization;
using System.Net;

namespace BudgetRun.Deployment.Tests.Infrastructure;

/// <summary>budget-run's --listen value: "ADDR:PORT", "[::]:PORT" or a bare port (meaning 127.0.0.1).</summary>
internal static class ListenAddress
{
    /// <summary>Splits "ADDR:PORT" (or a bare port, or "[::]:PORT"); null when it is neither.</summary>
    public static (string Host, string Port)? Split(string value)
    {
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return ("127.0.0.1", value);
        }
        var colon = value.LastIndexOf(':');
        if (colon <= 0)
        {
            return null;
        }
        var host = value[..colon].Trim('[', ']');
        var port = value[(colon + 1)..];
        return int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 65535 && host.Length > 0
            ? (host, port)
            : null;
    }

    public static bool IsLoopback(string host) =>
        host == "localhost" || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
}
