using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace BudgetRun.Observability.Tests.Infrastructure;

/// <summary>
/// The receiver at the end of the alerting path: an HTTP listener on loopback that records every
/// Alertmanager webhook notification (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
/// </summary>
internal sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener _listener;
    private readonly ConcurrentQueue<Notification> _notifications = new();
    private readonly Task _loop;

    public WebhookReceiver()
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = Ports.FreeLoopback();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                _listener = listener;
                Url = $"http://127.0.0.1:{port}/alerts";
                break;
            }
            catch (HttpListenerException) when (attempt < 3)
            {
                listener.Close(); // the port was taken in between: take another
            }
        }
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>The URL to give Alertmanager's webhook_configs.</summary>
    public string Url { get; }

    /// <summary>Every alert received so far, firing or resolved, in order.</summary>
    public IReadOnlyList<Notification> Alerts => [.. _notifications];

    public void Dispose()
    {
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // closed
            }
            using (var reader = new StreamReader(context.Request.InputStream))
            {
                var body = await reader.ReadToEndAsync();
                using var document = JsonDocument.Parse(body);
                foreach (var alert in document.RootElement.GetProperty("alerts").EnumerateArray())
                {
                    _notifications.Enqueue(new Notification(
                        alert.GetProperty("status").GetString()!,
                        Strings(alert.GetProperty("labels")),
                        Strings(alert.GetProperty("annotations"))));
                }
            }
            context.Response.StatusCode = 200;
            context.Response.Close();
        }
    }

    private static Dictionary<string, string> Strings(JsonElement element) =>
        element.EnumerateObject().ToDictionary(property => property.Name, property => property.Value.GetString()!);

    internal sealed record Notification(string Status, IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations);
}
