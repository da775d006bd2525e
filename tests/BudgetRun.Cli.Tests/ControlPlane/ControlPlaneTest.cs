using System.Diagnostics;
using System.Text.Json;
using BudgetRun.Cli.Tests.Infrastructure;
using Xunit.Sdk;

namespace BudgetRun.Cli.Tests.ControlPlane;

/// <summary>
/// Base of the control plane tests: a fresh control token per test, a token file, a child that
/// records the environment budget-run gave it, and runs whose environment holds none of the
/// host's control plane variables.
/// </summary>
public abstract class ControlPlaneTest : CliTest
{
    /// <summary>The variables of the control plane, removed from what the test host passes on.</summary>
    private static readonly string[] _controlVariables =
        ["BUDGET_RUN_LISTEN", "BUDGET_RUN_CONTROL_TOKEN", "BUDGET_RUN_PUSHGATEWAY", "BUDGET_RUN_URL", "BUDGET_RUN_TOKEN"];

    /// <summary>A token of its own for every test; mixed case, so a case change makes a different token.</summary>
    private protected string ControlToken { get; } = NewToken();

    /// <summary>Where <see cref="EnvDumpingChild"/> writes the child's environment.</summary>
    private protected string EnvFile => Scratch.Path("child.env");

    /// <summary>Serve on a free loopback port.</summary>
    private protected static string[] Loopback => ["--listen", "127.0.0.1:0"];

    internal static string NewToken() => $"Ctl.{Guid.NewGuid():N}-XyZ";

    /// <summary>Writes <paramref name="token"/> (default: <see cref="ControlToken"/>) to a file with <paramref name="mode"/> (default 0600).</summary>
    private protected string TokenFile(string? token = null, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite, string name = "token")
    {
        var path = Scratch.Path(name);
        File.WriteAllText(path, token ?? ControlToken);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    /// <summary>
    /// The command line of a child that writes its environment to <see cref="EnvFile"/> (whole, by
    /// rename) and then becomes <c>test-child <paramref name="args"/></c> in the same process.
    /// </summary>
    private protected string[] EnvDumpingChild(params string[] args) =>
        ["sh", "-c", "env > \"$0.tmp\" && mv \"$0.tmp\" \"$0\" && exec \"$@\"", EnvFile, Executables.TestChild, .. args];

    /// <summary>Waits for <see cref="EnvFile"/> and reads it as NAME=VALUE lines.</summary>
    private protected async Task<IReadOnlyDictionary<string, string>> ChildEnvironmentAsync(BudgetRunProcess run)
    {
        await Wait.UntilAsync(() => File.Exists(EnvFile), TimeSpan.FromSeconds(15), "the child wrote its environment", run);
        return ReadEnvironment(EnvFile);
    }

    /// <summary>Starts budget-run with <paramref name="environment"/> on top of a host environment cleared of the control plane's variables.</summary>
    private protected static BudgetRunProcess Start(string[] args, IReadOnlyDictionary<string, string?>? environment = null) =>
        BudgetRunProcess.Start(args, new RunSettings { Environment = Clean(environment) });

    /// <summary>Runs budget-run to its end, like <see cref="Start"/>.</summary>
    private protected static Task<ProcessResult> RunCleanAsync(string[] args, IReadOnlyDictionary<string, string?>? environment = null) =>
        BudgetRunProcess.RunAsync(args, new RunSettings { Environment = Clean(environment) });

    internal static Dictionary<string, string?> Clean(IReadOnlyDictionary<string, string?>? environment)
    {
        var result = _controlVariables.ToDictionary(name => name, _ => (string?)null);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            result[name] = value;
        }
        return result;
    }

    internal static IReadOnlyDictionary<string, string> ReadEnvironment(string path) =>
        File.ReadAllLines(path)
            .Where(line => line.Contains('=', StringComparison.Ordinal))
            .Select(line => line.Split('=', 2))
            .GroupBy(pair => pair[0], StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.Last()[1], StringComparer.Ordinal);

    /// <summary>Polls <c>GET /status</c> until its state is <paramref name="state"/>; fails after 15s or when budget-run exits.</summary>
    private protected static async Task WaitForStateAsync(ControlPlaneClient client, BudgetRunProcess run, string state)
    {
        string? seen = null;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(15) && !run.HasExited)
        {
            seen = Field(await client.StatusAsync(), "state").GetString();
            if (seen == state)
            {
                return;
            }
            await Task.Delay(20);
        }
        Assert.Fail($"/status never showed state '{state}' (last: '{seen}')\n--- stderr ---\n{run.StderrSoFar}");
    }

    /// <summary>A property of a JSON object; fails with the object when it is missing.</summary>
    private protected static JsonElement Field(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value
            : throw new XunitException($"'{name}' is missing from {element}");
}
