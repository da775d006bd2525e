using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

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
        return builder;
    }

    /// <summary>Adds the error-body middleware and maps the endpoints on a built app.</summary>
    public static void Configure(WebApplication app, ControlPlaneState state)
    {
        app.Use(ProblemForEmptyErrors);
        ControlEndpoints.Map(app, state);
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

    /// <summary>Routing answers 404 and 405 with no body; every 4xx/5xx here carries a short JSON problem.</summary>
    public static async Task ProblemForEmptyErrors(HttpContext context, RequestDelegate next)
    {
        await next(context).ConfigureAwait(false);
        if (!context.Response.HasStarted && context.Response.StatusCode >= 400 && context.Response.ContentLength is null)
        {
            var status = context.Response.StatusCode;
            var title = status switch
            {
                StatusCodes.Status404NotFound => "not found",
                StatusCodes.Status405MethodNotAllowed => "method not allowed",
                _ => "error",
            };
            await HttpJson.ProblemAsync(context, status, title).ConfigureAwait(false);
        }
    }
}
