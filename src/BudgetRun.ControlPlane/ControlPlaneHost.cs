using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BudgetRun.ControlPlane;

/// <summary>
/// Builds the host of a run that has a control plane: the leanest ASP.NET Core host (empty
/// builder, Kestrel core, routing core: no configuration files, no MVC, AOT-friendly) with Kestrel
/// limits that protect a supervisor from slow or oversized clients.
/// </summary>
internal static class ControlPlaneHost
{
    public static WebApplicationBuilder CreateBuilder(ControlPlaneSettings settings)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "budget-run" });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            var limits = kestrel.Limits;
            limits.MaxRequestBodySize = 1024 * 1024; // the endpoints read at most 64 KiB and answer 400 above
            limits.MaxRequestHeadersTotalSize = 16 * 1024;
            limits.MaxRequestHeaderCount = 50;
            limits.MaxRequestLineSize = 8 * 1024;
            limits.RequestHeadersTimeout = TimeSpan.FromSeconds(5);
            limits.KeepAliveTimeout = TimeSpan.FromSeconds(30);
            limits.MaxConcurrentConnections = 512;
            if (settings.Listen is { } endpoint)
            {
                kestrel.Listen(endpoint);
            }
        });
        builder.Services.AddRoutingCore();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = ShutdownTimeout);
        return builder;
    }

    /// <summary>
    /// How long stopping waits for open connections before dropping them: a client that sends half a
    /// request must not hold budget-run's exit (and its report) past an orchestrator's grace period.
    /// </summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Puts the one error layer in front of every endpoint of a built app.</summary>
    public static void UseEndpointErrors(WebApplication app)
    {
        var errors = new EndpointErrors(app.Services.GetRequiredService<ILogger<EndpointErrors>>());
        app.Use(errors.InvokeAsync);
    }

    /// <summary>The URL the control plane really listens on (the port is known only after start when 0 was asked).</summary>
    public static string? ListeningUrl(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();

    /// <summary>
    /// The URL a local client (the child) can use: a wildcard bind address (0.0.0.0, [::]) is not
    /// an address to connect to, so it becomes the loopback address of its family.
    /// </summary>
    public static string ReachableUrl(string listening) => listening
        .Replace("//0.0.0.0:", "//127.0.0.1:", StringComparison.Ordinal)
        .Replace("//[::]:", "//[::1]:", StringComparison.Ordinal);
}
