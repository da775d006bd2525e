using BudgetRun.ControlPlane;
using BudgetRun.Engine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;
using ILogger = Serilog.ILogger;

namespace BudgetRun.Cli.Hosting;

/// <summary>
/// The one way a host is composed, for a run with a control plane and for <c>serve</c>: the
/// leanest host (ASP.NET Core with <c>--listen</c>, a plain generic host for a push-only run),
/// Serilog, the <see cref="SignalLifetime"/> as its lifetime, the run's observers and the metrics
/// push as services, the one error layer in front of the endpoints. A plain run builds no host (it
/// would cost ~10 ms, see bench/run.sh) and composes the same objects without it.
/// </summary>
internal static class ControlPlaneComposition
{
    /// <summary>Builds (does not start) the host; <paramref name="map"/> maps the plane's endpoints.</summary>
    public static IHost Build(ControlPlaneSettings settings, SignalLifetime lifetime, ILogger log, RunMetrics metrics,
        IEnumerable<IRunObserver> observers, Action<WebApplication> map)
    {
        // Kestrel only with --listen: a push-only run opens no socket.
        var web = settings.Listen is null ? null : ControlPlaneHost.CreateBuilder(settings);
        IHostApplicationBuilder builder = web is not null
            ? web
            : Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "budget-run", DisableDefaults = true });
        var services = builder.Services;
        services.AddSerilog(log, dispose: false);
        services.AddSingleton<IHostLifetime>(lifetime);
        services.AddSingleton(settings);
        services.AddSingleton(metrics);
        foreach (var observer in observers)
        {
            services.AddSingleton(observer);
        }
        services.AddHostedService<MetricsPushService>();
        if (web is null)
        {
            return ((HostApplicationBuilder)builder).Build();
        }
        var app = web.Build();
        ControlPlaneHost.UseEndpointErrors(app);
        map(app);
        return app;
    }

    /// <summary>The run's observers, as the host holds them.</summary>
    public static IRunObserver Observers(IHost host) => new CompositeRunObserver([.. host.Services.GetServices<IRunObserver>()]);
}
