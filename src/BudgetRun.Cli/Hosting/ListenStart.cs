using System.Net;
using System.Net.Sockets;
using BudgetRun.Cli.CommandLine;
using Microsoft.Extensions.Hosting;

namespace BudgetRun.Cli.Hosting;

/// <summary>
/// Starts a host that listens, for a run and for <c>serve</c>: an address that cannot be bound (in
/// use, not on this host, not permitted) is the user's input, so a usage error (exit 2) in one
/// line, never the generic exit 70 with a stack trace.
/// </summary>
internal static class ListenStart
{
    public static async Task StartAsync(IHost host, IPEndPoint? listen)
    {
        try
        {
            await host.StartAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (listen is not null && BindFailure(ex) is { } reason)
        {
            // Nothing has started yet: Kestrel binds before anything else runs.
            host.Dispose();
            throw new UsageException($"--listen: cannot listen on {listen}: {reason}");
        }
    }

    /// <summary>
    /// Binds the address once and lets it go, before anything else happens (the ledger opened, an
    /// account created): an address that cannot be bound is a usage error with nothing half-started.
    /// The real bind can still fail later (a race for the port) and is reported the same way.
    /// </summary>
    public static void Preflight(IPEndPoint? listen)
    {
        if (listen is null)
        {
            return;
        }
        try
        {
            using var socket = new Socket(listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true); // as Kestrel binds
            socket.Bind(listen);
        }
        catch (SocketException ex)
        {
            throw new UsageException($"--listen: cannot listen on {listen}: {ex.Message}");
        }
    }

    /// <summary>Kestrel reports "address in use" as an IOException and "cannot assign" as the socket's own error.</summary>
    private static string? BindFailure(Exception ex) => ex switch
    {
        SocketException socket => socket.Message,
        IOException { InnerException: SocketException socket } => socket.Message,
        IOException io => io.Message,
        _ => null,
    };
}
