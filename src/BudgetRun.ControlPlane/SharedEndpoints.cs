using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace BudgetRun.ControlPlane;

/// <summary>
/// The endpoints both planes serve the same way: <c>/metrics</c> (GET and HEAD) and <c>/healthz</c>,
/// whose only difference between the planes is where the reason to be unhealthy comes from.
/// </summary>
internal static class SharedEndpoints
{
    public const string MetricsPath = "/metrics";
    public const string HealthPath = "/healthz";
    public const string StatusPath = "/status";

    private static readonly string[] _readMethods = [HttpMethods.Get, HttpMethods.Head];

    public static void MapMetrics(IEndpointRouteBuilder endpoints, CollectorRegistry registry) =>
        endpoints.MapMethods(MetricsPath, _readMethods, new RequestDelegate(async context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            context.Response.Headers.CacheControl = "no-store";
            if (HttpMethods.IsHead(context.Request.Method))
            {
                return;
            }
            await registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        }));

    /// <summary>200 <c>ok</c> while <paramref name="unhealthyReason"/> answers null, else 503 with the reason.</summary>
    public static void MapHealth(IEndpointRouteBuilder endpoints, Func<CancellationToken, ValueTask<string?>> unhealthyReason) =>
        endpoints.MapMethods(HealthPath, _readMethods, new RequestDelegate(async context =>
        {
            var reason = await unhealthyReason(context.RequestAborted).ConfigureAwait(false);
            await HttpJson.WriteAsync(context, reason is null ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable,
                new HealthResponse(reason is null ? "ok" : "unhealthy", reason), ControlJsonContext.Default.HealthResponse).ConfigureAwait(false);
        }));
}
