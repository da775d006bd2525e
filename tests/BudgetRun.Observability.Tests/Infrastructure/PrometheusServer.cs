using System.Globalization;
using System.Text.Json;
using Xunit.Sdk;

namespace BudgetRun.Observability.Tests.Infrastructure;

/// <summary>A real Prometheus server on loopback with its configuration and storage in a scratch directory, and its HTTP API.</summary>
internal sealed class PrometheusServer : IDisposable
{
    private readonly ChildProcess _process;

    private PrometheusServer(ChildProcess process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public string Output => _process.Output;

    /// <summary>Starts Prometheus on <paramref name="configFile"/> (rule files beside it resolve against its directory).</summary>
    public static async Task<PrometheusServer> StartAsync(Scratch scratch, string configFile)
    {
        var (process, baseUrl) = await Loopback.StartServerAsync("prometheus", port => new ChildProcess(Tools.Prometheus,
        [
            $"--config.file={configFile}",
            $"--storage.tsdb.path={scratch.Path("prometheus-data")}",
            $"--web.listen-address=127.0.0.1:{port}",
        ]), "/-/ready", TimeSpan.FromSeconds(30));
        return new PrometheusServer(process, baseUrl);
    }

    /// <summary>An instant query through /api/v1/query: its series, each with its labels and value.</summary>
    public async Task<IReadOnlyList<Sample>> QueryAsync(string promql)
    {
        var data = await GetDataAsync("/api/v1/query?query=" + Uri.EscapeDataString(promql), promql);
        return data.GetProperty("result").EnumerateArray().Select(series => new Sample(
            series.GetProperty("metric").EnumerateObject().ToDictionary(label => label.Name, label => label.Value.GetString()!),
            double.Parse(series.GetProperty("value")[1].GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture))).ToList();
    }

    /// <summary>The value of <paramref name="promql"/> when it yields exactly one series, else null.</summary>
    public async Task<double?> ValueAsync(string promql) =>
        await QueryAsync(promql) is [var single] ? single.Value : null;

    /// <summary>The active (pending or firing) alerts, from /api/v1/alerts.</summary>
    public async Task<IReadOnlyList<Alert>> AlertsAsync()
    {
        var data = await GetDataAsync("/api/v1/alerts", "alerts");
        return data.GetProperty("alerts").EnumerateArray().Select(alert => new Alert(
            alert.GetProperty("labels").EnumerateObject().ToDictionary(label => label.Name, label => label.Value.GetString()!),
            alert.GetProperty("state").GetString()!)).ToList();
    }

    /// <summary>Every loaded rule's name and health ("ok", "err", "unknown" before its first evaluation), from /api/v1/rules.</summary>
    public async Task<IReadOnlyList<(string Name, string Health, string? Error)>> RulesAsync()
    {
        var data = await GetDataAsync("/api/v1/rules", "rules");
        return data.GetProperty("groups").EnumerateArray()
            .SelectMany(group => group.GetProperty("rules").EnumerateArray())
            .Select(rule => (rule.GetProperty("name").GetString()!, rule.GetProperty("health").GetString()!,
                rule.TryGetProperty("lastError", out var error) ? error.GetString() : null))
            .ToList();
    }

    public void Dispose() => _process.Dispose();

    private async Task<JsonElement> GetDataAsync(string pathAndQuery, string what)
    {
        using var response = await Loopback.Http.GetAsync(BaseUrl + pathAndQuery);
        var body = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            throw new XunitException($"Prometheus rejected {what}: {body}");
        }
        return root.GetProperty("data").Clone();
    }

    internal sealed record Sample(IReadOnlyDictionary<string, string> Labels, double Value);

    internal sealed record Alert(IReadOnlyDictionary<string, string> Labels, string State);
}
