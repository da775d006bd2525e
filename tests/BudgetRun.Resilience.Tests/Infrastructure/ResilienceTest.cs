namespace BudgetRun.Resilience.Tests.Infrastructure;

/// <summary>
/// Base of the resilience tests: a scratch directory per test, short ways to name test-child, and
/// runs whose environment holds none of the host's budget-run variables and whose
/// <c>XDG_STATE_HOME</c> is the test's own, so that no test touches the machine's default ledger.
/// </summary>
public abstract class ResilienceTest : IDisposable
{
    /// <summary>Variables budget-run reads that the test host might have set; removed from every run.</summary>
    private static readonly string[] _hostVariables =
    [
        "BUDGET_RUN_LEDGER", "BUDGET_RUN_BUDGET_KEY", "BUDGET_RUN_REDIS_PASSWORD", "BUDGET_RUN_LISTEN",
        "BUDGET_RUN_CONTROL_TOKEN", "BUDGET_RUN_PUSHGATEWAY", "BUDGET_RUN_URL", "BUDGET_RUN_TOKEN",
    ];

    private protected Scratch Scratch { get; } = new();

    /// <summary>A control token of this test's own; mixed case, so a case change makes a different token.</summary>
    private protected string ControlToken { get; } = $"Res.{Guid.NewGuid():N}-XyZ";

    /// <summary>
    /// The GC's gen0 budget of the shipped AOT binary (its csproj: <c>--runtimeopt:GCgen0size=400000</c>),
    /// given to every load run so that a framework-dependent Debug build, which would otherwise size
    /// gen0 from the L3 cache and grow tens of MiB before its first collection, is measured alike.
    /// </summary>
    private protected static readonly IReadOnlyDictionary<string, string?> ShippedGcSettings =
        new Dictionary<string, string?> { ["DOTNET_GCgen0size"] = "0x400000" };

    /// <summary>True when budget-run is a framework-dependent (JIT) build rather than the Native AOT binary.</summary>
    private protected static bool IsJitBuild => File.Exists(Path.ChangeExtension(Executables.BudgetRun, ".dll"));

    /// <summary>The command line of test-child with <paramref name="args"/>.</summary>
    private protected static string[] Child(params string[] args) => [Executables.TestChild, .. args];

    /// <summary>Writes <see cref="ControlToken"/> to a file only its owner can read; returns the path.</summary>
    private protected string TokenFile()
    {
        var path = Scratch.Path("control.token");
        File.WriteAllText(path, ControlToken);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    /// <summary>The host environment cleared of budget-run's variables, with the test's state home, plus <paramref name="extra"/>.</summary>
    private protected Dictionary<string, string?> CleanEnvironment(IReadOnlyDictionary<string, string?>? extra = null)
    {
        var environment = _hostVariables.ToDictionary(name => name, _ => (string?)null);
        environment["XDG_STATE_HOME"] = Scratch.Path("state");
        foreach (var (name, value) in extra ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }
        return environment;
    }

    private protected BudgetRunProcess Launch(string[] args, IReadOnlyDictionary<string, string?>? environment = null,
        TimeSpan? timeout = null, bool keepStdinOpen = false) =>
        BudgetRunProcess.Start(args, new RunSettings
        {
            Environment = CleanEnvironment(environment),
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
            KeepStdinOpen = keepStdinOpen,
        });

    private protected async Task<ProcessResult> RunToEndAsync(string[] args, IReadOnlyDictionary<string, string?>? environment = null,
        TimeSpan? timeout = null)
    {
        using var run = Launch(args, environment, timeout);
        return await run.WaitAsync();
    }

    /// <summary><c>budget-run status --json</c> of <paramref name="key"/> in <paramref name="ledger"/>: must exit 0.</summary>
    private protected async Task<LedgerTotals> LedgerStatusAsync(string ledger, string key)
    {
        var result = await RunToEndAsync(["status", "--ledger", ledger, "--budget-key", key, "--json"]);
        result.AssertExitCode(0).AssertNoStackTrace();
        return LedgerTotals.Parse(result.StdoutText);
    }

    public void Dispose()
    {
        Scratch.Dispose();
        GC.SuppressFinalize(this);
    }
}
