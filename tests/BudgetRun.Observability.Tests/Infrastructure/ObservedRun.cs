using System.Text.RegularExpressions;

namespace BudgetRun.Observability.Tests.Infrastructure;

/// <summary>
/// A run of the real budget-run executable (<see cref="BudgetRunProcess"/>) as the observability
/// tests watch it: through its log. The budget-run variables of the machine running the tests are
/// removed from its environment, so that only the test's flags count. Disposing it kills
/// budget-run and its child.
/// </summary>
internal sealed partial class ObservedRun : IDisposable
{
    /// <summary>What budget-run reads from its environment; the tests pass flags (and a token) only.</summary>
    private static readonly string[] _variables =
    [
        "MAX_ATTEMPTS", "MAX_COST_CENTS", "COST_PER_ATTEMPT_CENTS",
        "BUDGET_RUN_LISTEN", "BUDGET_RUN_CONTROL_TOKEN", "BUDGET_RUN_PUSHGATEWAY", "BUDGET_RUN_LEDGER",
    ];

    private readonly BudgetRunProcess _process;

    private ObservedRun(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment)
    {
        var merged = _variables.ToDictionary(name => name, _ => (string?)null);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            merged[name] = value;
        }
        _process = BudgetRunProcess.Start(args, new RunSettings { Environment = merged });
    }

    public bool HasExited => _process.HasExited;

    public TimeSpan Elapsed => _process.Elapsed;

    /// <summary>budget-run's log so far (its own lines, on stderr), then what the child wrote to stdout.</summary>
    public string Log => _process.StderrSoFar + _process.StdoutSoFar;

    public static ObservedRun Start(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null) =>
        new(args, environment);

    /// <summary>The control plane's base URL, from the "control plane listening on" log line.</summary>
    public Task<string> ControlUrlAsync() =>
        Poll.UntilAsync(() => Task.FromResult(ListeningLine().Match(Log) is { Success: true } match ? match.Groups[1].Value : null),
            TimeSpan.FromSeconds(20), "budget-run to log its control plane URL", () => $"--- budget-run ---\n{Log}");

    /// <summary>Waits until budget-run has logged the start of attempt <paramref name="number"/>.</summary>
    public Task AttemptStartedAsync(int number) =>
        Poll.UntilAsync(() => Task.FromResult(Log.Contains($"attempt {number} of", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20), $"attempt {number} to start", () => $"--- budget-run ---\n{Log}");

    /// <summary>Waits for the exit; kills the tree and fails the test after <paramref name="limit"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan limit) => (await _process.WaitAsync(limit)).ExitCode;

    public void Dispose() => _process.Dispose();

    [GeneratedRegex(LogMarkers.ControlPlaneListening + @"(http://\S+)")]
    private static partial Regex ListeningLine();
}
