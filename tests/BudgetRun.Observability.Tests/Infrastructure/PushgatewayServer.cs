using System.Text.Json;

namespace BudgetRun.Observability.Tests.Infrastructure;

/// <summary>A real Prometheus Pushgateway on loopback, in memory only (no persistence file).</summary>
internal sealed class PushgatewayServer : IDisposable
{
    private readonly ChildProcess _process;

    private PushgatewayServer(ChildProcess process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public string Address => new Uri(BaseUrl).Authority;

    public string Output => _process.Output;

    public static async Task<PushgatewayServer> StartAsync()
    {
        var (process, baseUrl) = await Loopback.StartServerAsync("pushgateway", port => new ChildProcess(Tools.Pushgateway,
        [
            $"--web.listen-address=127.0.0.1:{port}",
            "--persistence.file=",
        ]), "/-/ready", TimeSpan.FromSeconds(30));
        return new PushgatewayServer(process, baseUrl);
    }

    /// <summary>What Prometheus would scrape from the gateway.</summary>
    public async Task<Exposition> MetricsAsync() =>
        Exposition.Parse(await Loopback.Http.GetStringAsync(BaseUrl + "/metrics"));

    /// <summary>The grouping keys (label sets) of the groups the gateway holds, from /api/v1/metrics.</summary>
    public async Task<IReadOnlyList<IReadOnlyDictionary<string, string>>> GroupsAsync()
    {
        using var document = JsonDocument.Parse(await Loopback.Http.GetStringAsync(BaseUrl + "/api/v1/metrics"));
        return document.RootElement.GetProperty("data").EnumerateArray()
            .Select(group => (IReadOnlyDictionary<string, string>)group.GetProperty("labels").EnumerateObject()
                .ToDictionary(label => label.Name, label => label.Value.GetString()!))
            .ToList();
    }

    public void Dispose() => _process.Dispose();
}
