using System.Text.RegularExpressions;
using BudgetRun.Observability.Tests.Infrastructure;

namespace BudgetRun.Observability.Tests;

/// <summary>
/// The dashboard and the alert rules query only what budget-run really exports: the names (and
/// outcome values) they use are compared with a real run's /metrics.
/// </summary>
public sealed partial class MetricNamesTests
{
    private static readonly string[] _histogramSuffixes = ["_bucket", "_sum", "_count"];

    /// <summary>The metrics of the control-plane contract (issue "Control plane").</summary>
    private static readonly string[] _contract =
    [
        "budget_run_attempts_total", "budget_run_cost_cents_total", "budget_run_budget_cents", "budget_run_budget_remaining_cents",
        "budget_run_attempt_duration_seconds", "budget_run_backoff_seconds", "budget_run_child_running",
        "budget_run_kill_switch_engaged", "budget_run_last_exit_code",
        // per level of a --budget-key account (issue "Budgets that operators own")
        "budget_run_account_budget_cents", "budget_run_account_spent_cents", "budget_run_account_reserved_cents",
        "budget_run_account_remaining_cents", "budget_run_account_kill_switch_engaged",
    ];

    [Fact]
    public async Task DashboardAndRules_ReferenceOnlyExportedMetricsAndOutcomes()
    {
        var exported = await ScrapeRealRunAsync();

        var files = Directory.GetFiles(Examples.PrometheusExamples, "*.yml").Append(Examples.Dashboard).ToList();
        var problems = new List<string>();
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            var names = MetricName().Matches(text).Select(match => match.Value).Distinct().ToList();
            foreach (var name in names.Where(name => !IsExported(name, exported.Types)))
            {
                problems.Add($"{Path.GetFileName(file)} uses {name}, which budget-run does not export");
            }
            foreach (var outcome in OutcomeMatchers().Matches(text).SelectMany(match => match.Groups[1].Value.Split('|')).Distinct())
            {
                if (!exported.Find("budget_run_attempts_total", ("outcome", outcome)).Any())
                {
                    problems.Add($"{Path.GetFileName(file)} matches outcome \"{outcome}\", which budget_run_attempts_total never has");
                }
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));

        // The check has something to check: the rules, their tests and the dashboard all use the metrics.
        Assert.All(new[] { Examples.RulesFile, Examples.RulesTestFile, Examples.Dashboard },
            file => Assert.Matches(MetricName(), File.ReadAllText(file)));
    }

    [Fact]
    public void Dashboard_ShowsEveryContractMetric()
    {
        var text = File.ReadAllText(Examples.Dashboard);
        var used = MetricName().Matches(text).Select(match => BaseName(match.Value)).ToHashSet(StringComparer.Ordinal);

        Assert.All(_contract, name => Assert.True(used.Contains(name), $"the dashboard shows nothing of {name}"));
    }

    [Fact]
    public async Task RealRun_ExportsEveryContractMetric_WithTheWorkloadLabel()
    {
        var exported = await ScrapeRealRunAsync();

        Assert.All(_contract, name => Assert.True(exported.Types.ContainsKey(name), $"{name} is not exported"));
        Assert.Equal("histogram", exported.Types["budget_run_attempt_duration_seconds"]);
        Assert.All(exported.Samples.Where(sample => sample.Name.StartsWith("budget_run_", StringComparison.Ordinal)),
            sample => Assert.Equal("names-check", sample.Labels["workload"]));
    }

    /// <summary>A name is exported as itself, or as a series of an exported histogram or summary.</summary>
    private static bool IsExported(string name, IReadOnlyDictionary<string, string> types) =>
        types.ContainsKey(name)
        || (_histogramSuffixes.FirstOrDefault(suffix => name.EndsWith(suffix, StringComparison.Ordinal)) is { } suffix
            && types.TryGetValue(name[..^suffix.Length], out var type) && type is "histogram" or "summary");

    private static string BaseName(string name) =>
        _histogramSuffixes.FirstOrDefault(suffix => name.EndsWith(suffix, StringComparison.Ordinal)) is { } suffix ? name[..^suffix.Length] : name;

    /// <summary>/metrics of a real run with a running child, charging a ledger account (so the account series exist).</summary>
    private static async Task<Exposition> ScrapeRealRunAsync()
    {
        using var scratch = new Scratch();
        using var run = ObservedRun.Start(
        [
            "--listen", "127.0.0.1:0", "--name", "names-check", "--max-attempts", "1", "--kill-grace", "1s",
            "--budget-key", "names/check", "--ledger", "sqlite:" + scratch.Path("ledger.db"), "--", "sleep", "600",
        ]);
        var url = await run.ControlUrlAsync();
        await run.AttemptStartedAsync(1);
        return Exposition.Parse(await Loopback.Http.GetStringAsync(url + "/metrics"));
    }

    [GeneratedRegex(@"\bbudget_run_[a-z0-9_]*[a-z0-9]")]
    private static partial Regex MetricName();

    /// <summary>outcome="x" or outcome=~"x|y" in a selector.</summary>
    [GeneratedRegex(@"outcome=~?\\?""([a-z_|]+)\\?""")]
    private static partial Regex OutcomeMatchers();
}
