using System.Net;
using BudgetRun.ControlPlane.Tests.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BudgetRun.ControlPlane.Tests.Infrastructure;

/// <summary>
/// One plane composed as budget-run composes it (RunHost, ServeHost): <see cref="ControlPlaneHost.CreateBuilder"/>
/// on 127.0.0.1:0, real Kestrel and sockets, the one error layer, then the plane's endpoints; with
/// a client for its URL and the log lines it wrote.
/// </summary>
internal sealed class PlaneHost : IAsyncDisposable
{
    public const string Workload = "plane-tests";

    private readonly WebApplication _app;

    private PlaneHost(WebApplication app, ControlPlaneClient client, LogRecorder logs)
    {
        _app = app;
        Client = client;
        Logs = logs;
    }

    public ControlPlaneClient Client { get; }

    public LogRecorder Logs { get; }

    public static ControlPlaneSettings Settings(string? controlToken) =>
        new() { Listen = new IPEndPoint(IPAddress.Loopback, 0), ControlToken = controlToken, Workload = Workload };

    public static async Task<PlaneHost> StartAsync(ControlPlaneSettings settings, Action<WebApplication> map)
    {
        var logs = new LogRecorder();
        var builder = ControlPlaneHost.CreateBuilder(settings);
        builder.Services.AddLogging(logging => logging.ClearProviders().AddProvider(logs));
        var app = builder.Build();
        ControlPlaneHost.UseEndpointErrors(app);
        map(app);
        await app.StartAsync();
        var url = ControlPlaneHost.ListeningUrl(app) ?? throw new InvalidOperationException("Kestrel reports no address");
        return new PlaneHost(app, new ControlPlaneClient(new Uri(url)), logs);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
