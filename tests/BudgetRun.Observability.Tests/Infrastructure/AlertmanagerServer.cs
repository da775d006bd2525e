namespace BudgetRun.Observability.Tests.Infrastructure;

/// <summary>A real Alertmanager on loopback: no cluster port, its storage in a scratch directory.</summary>
internal sealed class AlertmanagerServer : IDisposable
{
    private readonly ChildProcess _process;

    private AlertmanagerServer(ChildProcess process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    /// <summary>host:port, as Prometheus's alerting configuration names it.</summary>
    public string Address => new Uri(BaseUrl).Authority;

    public string Output => _process.Output;

    public static async Task<AlertmanagerServer> StartAsync(Scratch scratch, string configFile)
    {
        var (process, baseUrl) = await Loopback.StartServerAsync("alertmanager", port => new ChildProcess(Tools.Alertmanager,
        [
            $"--config.file={configFile}",
            $"--storage.path={scratch.Path("alertmanager-data")}",
            $"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=", // no gossip port: one instance, nothing else bound
        ]), "/-/ready", TimeSpan.FromSeconds(30));
        return new AlertmanagerServer(process, baseUrl);
    }

    public void Dispose() => _process.Dispose();
}
