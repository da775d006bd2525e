using System.Net;
using System.Net.Sockets;

namespace BudgetRun.Testing;

/// <summary>Loopback ports for servers the tests start.</summary>
internal static class Ports
{
    /// <summary>
    /// A loopback port that was free a moment ago (the OS picked it for a listener that is then
    /// closed): another process may take it in between, so a server that fails to bind it may
    /// need another one; and nothing listens on it, so a connection to it is refused.
    /// </summary>
    public static int FreeLoopback()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
