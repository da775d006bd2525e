using BudgetRun.Observability.Tests.Infrastructure;

namespace BudgetRun.Observability.Tests;

/// <summary>
/// A real Pushgateway and a short budget-run that pushes to it and ends long before any scrape
/// (three failed attempts at 25 cents, about half a second), shared by <see cref="PushgatewayTests"/>.
/// The push interval is far longer than the run: the first push happens at start, before any
/// attempt, so the values of the three attempts can only come from the final push at the end.
/// </summary>
public sealed class PushedRunFixture : IAsyncLifetime
{
    internal const string Workload = "push-e2e";

    private PushgatewayServer? _gateway;

    internal PushgatewayServer Gateway => _gateway!;

    internal int ExitCode { get; private set; }

    internal string Log { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _gateway = await PushgatewayServer.StartAsync();
        using var run = ObservedRun.Start(
        [
            "--pushgateway", _gateway.BaseUrl, "--push-interval", "1m", "--name", Workload,
            "--max-attempts", "3", "--max-cost-cents", "200", "--cost-per-attempt-cents", "25", "--base-delay", "50ms",
            "--", "sh", "-c", "exit 1",
        ]);
        ExitCode = await run.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Log = run.Log;
    }

    public Task DisposeAsync()
    {
        _gateway?.Dispose();
        return Task.CompletedTask;
    }
}
