using Microsoft.Extensions.Hosting;

namespace BudgetRun.Cli.Hosting;

/// <summary>
/// Replaces the host's ConsoleLifetime: budget-run owns its signals (forwarding them to the child,
/// escalating on SIGTERM), and ConsoleLifetime would both race for them and touch System.Console.
/// </summary>
internal sealed class NullHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
