using BudgetRun.Observability.Tests.Infrastructure;

namespace BudgetRun.Observability.Tests;

/// <summary>
/// A real budget-run whose child fails three times and then keeps running, charging the two-level
/// account <c>acme/scrape-e2e</c> of a real SQLite ledger (<c>acme</c> given a limit first), and a
/// real Prometheus scraping it every second through the shipped scrape configuration (with the
/// shipped rules loaded), shared by the tests of <see cref="PrometheusScrapeTests"/>.
/// </summary>
public sealed class ScrapedRunFixture : IAsyncLifetime
{
    internal const string Workload = "scrape-e2e";

    /// <summary>The run's account and the level above it, which <c>budget set</c> gives 5000 cents.</summary>
    internal const string BudgetKey = "acme/scrape-e2e";

    internal const string RootKey = "acme";

    /// <summary>A child that fails its first three attempts, then runs until it is killed.</summary>
    private const string ChildScript = """
        count=$(( $(cat "$1" 2>/dev/null || echo 0) + 1 ))
        echo "$count" > "$1"
        [ "$count" -le 3 ] && exit 1
        exec sleep 600
        """;

    private readonly Scratch _scratch = new();
    private ObservedRun? _run;
    private PrometheusServer? _prometheus;

    internal ObservedRun Run => _run!;

    internal PrometheusServer Prometheus => _prometheus!;

    /// <summary>budget-run's host:port, the scrape target.</summary>
    internal string Target { get; private set; } = "";

    internal string Story => $"--- budget-run ---\n{_run?.Log}\n--- prometheus ---\n{_prometheus?.Output}";

    public async Task InitializeAsync()
    {
        var script = _scratch.Write("child.sh", ChildScript);
        var ledger = "sqlite:" + _scratch.Path("ledger.db");
        using (var set = ObservedRun.Start(["budget", "set", "--budget-key", RootKey, "--max-cost-cents", "5000", "--ledger", ledger]))
        {
            var code = await set.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.True(code == 0, $"budget set exited {code}:\n{set.Log}");
        }
        _run = ObservedRun.Start(
        [
            "--listen", "127.0.0.1:0", "--name", Workload, "--budget-key", BudgetKey, "--ledger", ledger,
            "--max-attempts", "5", "--max-cost-cents", "1000", "--cost-per-attempt-cents", "25",
            "--base-delay", "100ms", "--kill-grace", "1s",
            "--", "sh", script, _scratch.Path("attempts"),
        ]);
        Target = new Uri(await _run.ControlUrlAsync()).Authority;
        _prometheus = await PrometheusServer.StartAsync(_scratch, ShippedConfig.WritePrometheusConfig(_scratch, budgetRun: Target));
        await _run.AttemptStartedAsync(4);
    }

    public Task DisposeAsync()
    {
        _prometheus?.Dispose();
        _run?.Dispose();
        _scratch.Dispose();
        return Task.CompletedTask;
    }
}
