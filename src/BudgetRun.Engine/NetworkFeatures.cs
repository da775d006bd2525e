using System.Diagnostics.CodeAnalysis;

namespace BudgetRun.Engine;

/// <summary>
/// Whether this binary has the features that talk to the network: the Redis and PostgreSQL ledgers,
/// the control plane (Kestrel, prometheus-net, the Pushgateway push), <c>serve</c> and
/// <c>--health-url</c>. The Native AOT publish makes two binaries from one build: <c>budget-run</c>,
/// compiled with this switch off so that ILC leaves those features and their libraries (Npgsql,
/// StackExchange.Redis, ASP.NET Core, the HTTP stack) out of it, and <c>budget-run-net</c> beside
/// it, which has everything and which <c>budget-run</c> becomes (execve, same pid) when a command
/// asks for one of them. Start-up of a native binary is proportional to what it holds, not to what
/// it runs (README, "Where start-up time and memory go"). Every other build has them all.
/// </summary>
public static class NetworkFeatures
{
    /// <summary>The feature switch; set to false by the AOT publish of <c>budget-run</c> (src/BudgetRun.Cli/BudgetRun.Cli.csproj).</summary>
    public const string Switch = "BudgetRun.NetworkFeatures";

    /// <summary>The file that has them, beside the one that does not.</summary>
    public const string CompanionFileName = "budget-run-net";

    /// <summary>
    /// True unless this is the lean binary. A constant for ILC: code that only runs when it is true
    /// must sit behind a test of it, so that the lean binary does not carry it.
    /// </summary>
    [FeatureSwitchDefinition(Switch)]
    public static bool IsSupported => !AppContext.TryGetSwitch(Switch, out var enabled) || enabled;

    /// <summary>
    /// What a guard throws when a feature is reached in the lean binary: a bug, since every command
    /// that needs one execs <see cref="CompanionFileName"/> before anything starts.
    /// </summary>
    public static InvalidOperationException Missing(string feature) =>
        new($"{feature} is not in this binary: {CompanionFileName} has it, and the command should have been handed to it");
}
