using System.Text.RegularExpressions;

namespace BudgetRun.Observability.Tests.Infrastructure;

/// <summary>
/// A run of the real budget-run executable. The budget variables of the machine running the tests
/// are removed from its environment, so that only the test's flags count. Disposing it kills
/// budget-run and its child.
/// </summary>
internal sealed partial class BudgetRunProcess : IDisposable
{
    /// <summary>What budget-run reads from its environment; the tests pass flags (and a token) only.</summary>
    private static readonly string[] _variables =
    [
        "MAX_ATTEMPTS", "MAX_COST_CENTS", "COST_PER_ATTEMPT_CENTS",
        "BUDGET_RUN_LISTEN", "BUDGET_RUN_CONTROL_TOKEN", "BUDGET_RUN_PUSHGATEWAY", "BUDGET_RUN_LEDGER",
    ];

    private readonly ChildProcess _process;

    private BudgetRunProcess(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment)
    {
        var merged = _variables.ToDictionary(name => name, _ => (string?)null);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            merged[name] = value;
        }
        _process = new ChildProcess(Repository.BudgetRun, args, merged);
    }

    public bool HasExited => _process.HasExited;

    public TimeSpan Elapsed => _process.Elapsed;

    /// <summary>budget-run's log so far (its own lines are on stderr; the child's output passes through).</summary>
    public string Log => _process.Output;

    public static BudgetRunProcess Start(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null) =>
        new(args, environment);

    /// <summary>The control plane's base URL, from the "control plane listening on" log line.</summary>
    public Task<string> ControlUrlAsync() =>
        Poll.UntilAsync(() => Task.FromResult(ListeningLine().Match(Log) is { Success: true } match ? match.Groups[1].Value : null),
            TimeSpan.FromSeconds(20), "budget-run to log its control plane URL", () => $"--- budget-run ---\n{Log}");

    /// <summary>Waits until budget-run has logged the start of attempt <paramref name="number"/>.</summary>
    public Task AttemptStartedAsync(int number) =>
        Poll.UntilAsync(() => Task.FromResult(Log.Contains($"attempt {number} of", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20), $"attempt {number} to start", () => $"--- budget-run ---\n{Log}");

    public Task<int> WaitForExitAsync(TimeSpan limit) => _process.WaitForExitAsync(limit);

    public void Dispose() => _process.Dispose();

    [GeneratedRegex(@"control plane listening on (http://\S+)")]
    private static partial Regex ListeningLine();
}
