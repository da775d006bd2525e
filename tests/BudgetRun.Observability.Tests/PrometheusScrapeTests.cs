using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using BudgetRun.Observability.Tests.Infrastructure;

namespace BudgetRun.Observability.Tests;

/// <summary>A real Prometheus scraping a real budget-run: the series arrive with their values, and the dashboard's and rules' queries run on them.</summary>
public sealed partial class PrometheusScrapeTests(ScrapedRunFixture fixture) : IClassFixture<ScrapedRunFixture>
{
    private const string Workload = ScrapedRunFixture.Workload;
    private const string BudgetKey = ScrapedRunFixture.BudgetKey;
    private const string RootKey = ScrapedRunFixture.RootKey;
    private static readonly TimeSpan _limit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Prometheus_ScrapingARun_GetsItsAttemptAndCostSeriesWithExactValues()
    {
        // Three failed attempts at 25 cents; the fourth is running, its 25 cents reserved, not yet spent.
        var expected = new Dictionary<string, double>
        {
            [$"budget_run_attempts_total{{workload=\"{Workload}\",outcome=\"failure\"}}"] = 3,
            [$"budget_run_attempts_total{{workload=\"{Workload}\",outcome=\"success\"}}"] = 0,
            [$"budget_run_cost_cents_total{{workload=\"{Workload}\"}}"] = 75,
            [$"budget_run_budget_cents{{workload=\"{Workload}\"}}"] = 1000,
            [$"budget_run_budget_remaining_cents{{workload=\"{Workload}\"}}"] = 900,
            [$"budget_run_child_running{{workload=\"{Workload}\"}}"] = 1,
            [$"budget_run_kill_switch_engaged{{workload=\"{Workload}\"}}"] = 0,
            [$"budget_run_last_exit_code{{workload=\"{Workload}\"}}"] = 1,
            [$"budget_run_attempt_duration_seconds_count{{workload=\"{Workload}\"}}"] = 3,
            ["up{job=\"budget-run\"}"] = 1,
        };

        var mismatches = "";
        await Poll.UntilAsync(async () =>
        {
            var wrong = new List<string>();
            foreach (var (query, value) in expected)
            {
                var actual = await fixture.Prometheus.ValueAsync(query);
                if (actual != value)
                {
                    wrong.Add($"{query} = {actual?.ToString(CultureInfo.InvariantCulture) ?? "(no single series)"}, expected {value}");
                }
            }
            mismatches = string.Join("\n", wrong);
            return wrong.Count == 0;
        }, _limit, "Prometheus to hold the run's series", () => $"mismatches:\n{mismatches}\n{fixture.Story}");

        // The series are the target's: job and instance from the shipped scrape job, workload from --name.
        // (The account series are checked in Prometheus_ScrapingAnAccountRun_GetsOneSeriesPerLevel.)
        var series = Assert.Single(await fixture.Prometheus.QueryAsync($"budget_run_cost_cents_total{{workload=\"{Workload}\"}}"));
        Assert.Equal("budget-run", series.Labels["job"]);
        Assert.Equal(fixture.Target, series.Labels["instance"]);
    }

    [Fact]
    public async Task Prometheus_ScrapingAnAccountRun_GetsOneSeriesPerLevel_LabelledByBudgetKey()
    {
        // acme (5000) and acme/scrape-e2e (1000, from the run's flags) each hold the 75 cents spent
        // and the running attempt's 25 reserved: the tightest level has 900 left, the root 4900.
        var expected = new Dictionary<(string Metric, string Key), double>
        {
            [("budget_run_account_budget_cents", RootKey)] = 5000,
            [("budget_run_account_budget_cents", BudgetKey)] = 1000,
            [("budget_run_account_spent_cents", RootKey)] = 75,
            [("budget_run_account_spent_cents", BudgetKey)] = 75,
            [("budget_run_account_reserved_cents", RootKey)] = 25,
            [("budget_run_account_reserved_cents", BudgetKey)] = 25,
            [("budget_run_account_remaining_cents", RootKey)] = 4900,
            [("budget_run_account_remaining_cents", BudgetKey)] = 900,
            [("budget_run_account_kill_switch_engaged", RootKey)] = 0,
            [("budget_run_account_kill_switch_engaged", BudgetKey)] = 0,
        };

        var mismatches = "";
        await Poll.UntilAsync(async () =>
        {
            var wrong = new List<string>();
            foreach (var ((metric, key), value) in expected)
            {
                var query = $"{metric}{{workload=\"{Workload}\",budget_key=\"{key}\"}}";
                var actual = await fixture.Prometheus.ValueAsync(query);
                if (actual != value)
                {
                    wrong.Add($"{query} = {actual?.ToString(CultureInfo.InvariantCulture) ?? "(no single series)"}, expected {value}");
                }
            }
            mismatches = string.Join("\n", wrong);
            return wrong.Count == 0;
        }, _limit, "Prometheus to hold the account's series", () => $"mismatches:\n{mismatches}\n{fixture.Story}");

        // Bounded: exactly one series per level of the key per metric, and no budget_key on any other metric.
        var levels = await fixture.Prometheus.QueryAsync($"budget_run_account_budget_cents{{workload=\"{Workload}\"}}");
        Assert.Equal([RootKey, BudgetKey], levels.Select(series => series.Labels["budget_key"]).Order(StringComparer.Ordinal));
        Assert.Empty(await fixture.Prometheus.QueryAsync($"{{__name__=~\"budget_run_.*\",__name__!~\"budget_run_account_.*\",budget_key!=\"\"}}"));
    }

    [Fact]
    public async Task DashboardQueries_AllEvaluateInPrometheus_AndReturnData()
    {
        await TwoScrapesAsync();
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Examples.Dashboard));
        var failures = new List<string>();
        foreach (var (where, expr, needsData) in DashboardQueries(dashboard.RootElement))
        {
            var promql = expr.Replace("$workload", Workload, StringComparison.Ordinal).Replace("$budget_key", ".*", StringComparison.Ordinal)
                .Replace("$__rate_interval", "1m", StringComparison.Ordinal);
            Assert.DoesNotContain("$", promql, StringComparison.Ordinal);
            try
            {
                var result = await fixture.Prometheus.QueryAsync(promql);
                if (needsData && result.Count == 0)
                {
                    failures.Add($"{where}: no data for {promql}");
                }
            }
            catch (Xunit.Sdk.XunitException ex)
            {
                failures.Add($"{where}: {ex.Message}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // The workload variable's query lists the run's workload.
        var variable = dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray()
            .Single(v => v.GetProperty("name").GetString() == "workload");
        var match = LabelValues().Match(variable.GetProperty("definition").GetString()!);
        Assert.True(match.Success, "the workload variable should be label_values(METRIC, workload)");
        using var values = JsonDocument.Parse(await Loopback.Http.GetStringAsync(
            $"{fixture.Prometheus.BaseUrl}/api/v1/label/{match.Groups[2].Value}/values?match[]={Uri.EscapeDataString(match.Groups[1].Value)}"));
        Assert.Contains(Workload, values.RootElement.GetProperty("data").EnumerateArray().Select(value => value.GetString()));

        // The budget_key variable's query lists both levels of the run's account.
        var levelVariable = dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray()
            .Single(v => v.GetProperty("name").GetString() == "budget_key");
        var levelMatch = LabelValues().Match(levelVariable.GetProperty("definition").GetString()!.Replace("$workload", Workload, StringComparison.Ordinal));
        Assert.True(levelMatch.Success, "the budget_key variable should be label_values(METRIC, budget_key)");
        Assert.Equal("budget_key", levelMatch.Groups[2].Value);
        using var keys = JsonDocument.Parse(await Loopback.Http.GetStringAsync(
            $"{fixture.Prometheus.BaseUrl}/api/v1/label/budget_key/values?match[]={Uri.EscapeDataString(levelMatch.Groups[1].Value)}"));
        Assert.Equal([RootKey, BudgetKey], keys.RootElement.GetProperty("data").EnumerateArray().Select(value => value.GetString()!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ShippedRules_EvaluateWithoutError_AndStayQuietForAHealthyRun()
    {
        await TwoScrapesAsync();
        IReadOnlyList<(string Name, string Health, string? Error)> rules = [];
        await Poll.UntilAsync(async () =>
        {
            rules = await fixture.Prometheus.RulesAsync();
            return rules.Count > 0 && rules.All(rule => rule.Health != "unknown");
        }, _limit, "every rule to be evaluated", () => fixture.Story);

        Assert.Equal(ShippedConfig.Alerts().Order(StringComparer.Ordinal), rules.Select(rule => rule.Name).Order(StringComparer.Ordinal));
        Assert.All(rules, rule => Assert.True(rule.Health == "ok", $"{rule.Name}: {rule.Health} {rule.Error}"));
        // 10% of the budget used, three failures, no kill switch, target up: nothing pending, nothing firing.
        Assert.Empty(await fixture.Prometheus.AlertsAsync());
    }

    /// <summary>Waits until rate() has two samples of the run to work with.</summary>
    private Task TwoScrapesAsync() =>
        Poll.UntilAsync(async () => await fixture.Prometheus.ValueAsync($"count_over_time(budget_run_budget_cents{{workload=\"{Workload}\"}}[1m])") >= 2,
            _limit, "two scrapes of the run", () => fixture.Story);

    /// <summary>Every PromQL query of the dashboard: panel targets (which must return data) and annotations.</summary>
    private static IEnumerable<(string Where, string Expr, bool NeedsData)> DashboardQueries(JsonElement dashboard)
    {
        foreach (var panel in dashboard.GetProperty("panels").EnumerateArray())
        {
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                yield return ($"panel \"{panel.GetProperty("title").GetString()}\" {target.GetProperty("refId").GetString()}", target.GetProperty("expr").GetString()!, true);
            }
        }
        foreach (var annotation in dashboard.GetProperty("annotations").GetProperty("list").EnumerateArray())
        {
            if (annotation.TryGetProperty("expr", out var expr))
            {
                // "kill switch engaged" only has data once it is.
                yield return ($"annotation \"{annotation.GetProperty("name").GetString()}\"", expr.GetString()!, false);
            }
        }
    }

    [GeneratedRegex(@"^label_values\(([^,]+),\s*(\w+)\)$")]
    private static partial Regex LabelValues();
}
