using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace BudgetRun.ControlPlane;

/// <summary>
/// Pushes the run's metrics to a Prometheus Pushgateway every interval and once more when the run
/// ends, so a batch job that ends before a scrape is still seen. A failed push is logged; it never
/// fails the run.
/// </summary>
internal sealed class MetricsPushService(ControlPlaneSettings settings, RunMetrics metrics, ILogger<MetricsPushService> logger) : IHostedService, IDisposable
{
    /// <summary>
    /// A gateway that accepts connections but never answers must not hold the end of the run (and
    /// its report and exit code) for the default 100 s per push.
    /// </summary>
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(5) };
    private MetricPusher? _pusher;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings.PushGateway is not { } endpoint)
        {
            return Task.CompletedTask;
        }
        if (settings.PushCredentials is { } credentials)
        {
            _client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(credentials)));
        }
        _pusher = new MetricPusher(new MetricPusherOptions
        {
            Endpoint = endpoint.TrimEnd('/').EndsWith("/metrics", StringComparison.Ordinal) ? endpoint.TrimEnd('/') : endpoint.TrimEnd('/') + "/metrics",
            Job = "budget-run",
            Instance = Environment.MachineName,
            AdditionalLabels = [Tuple.Create(MetricNames.WorkloadLabel, settings.Workload)],
            Registry = metrics.Registry,
            IntervalMilliseconds = (long)settings.PushInterval.TotalMilliseconds,
            OnError = ex => LogPushFailed(logger, endpoint, ex.Message),
            HttpClientProvider = () => _client,
        });
        _pusher.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_pusher is not null)
        {
            await _pusher.StopAsync().ConfigureAwait(false); // pushes the final state before it returns
        }
    }

    public void Dispose() => _client.Dispose();

    // LoggerMessage.Define written out, as [LoggerMessage] would generate it (same event id): the
    // generator of .NET 10 emits an assembly's classes in an order that changes from build to build
    // (dotnet/runtime#119587, fixed in .NET 11), and that order reaches the Native AOT binary
    // through the assembly's MVID. With EndpointErrors as the ControlPlane's only generated class,
    // the binary is reproducible.
    private static readonly Action<ILogger, string, string, Exception?> PushFailedMessage = LoggerMessage.Define<string, string>(
        LogLevel.Warning, new EventId(450034304, nameof(LogPushFailed)), "pushing metrics to {Endpoint} failed: {Error}",
        new LogDefineOptions { SkipEnabledCheck = true });

    private static void LogPushFailed(ILogger logger, string endpoint, string error)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            PushFailedMessage(logger, endpoint, error, null);
        }
    }
}
