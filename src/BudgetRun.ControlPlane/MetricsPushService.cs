using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace BudgetRun.ControlPlane;

/// <summary>
/// Pushes the run's metrics to a Prometheus Pushgateway every interval and once more when the run
/// ends, so a batch job that ends before a scrape is still seen. A failed push is logged; it never
/// fails the run.
/// </summary>
internal sealed partial class MetricsPushService(ControlPlaneSettings settings, RunMetrics metrics, ILogger<MetricsPushService> logger) : IHostedService, IDisposable
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "pushing metrics to {Endpoint} failed: {Error}")]
    private static partial void LogPushFailed(ILogger logger, string endpoint, string error);
}
