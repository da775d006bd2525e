using System.Text.RegularExpressions;
using BudgetRun.Observability.Tests.Infrastructure;

namespace BudgetRun.Observability.Tests;

/// <summary>The shipped Prometheus and Alertmanager files pass the projects' own checkers and unit tests.</summary>
public sealed partial class PromtoolTests : IDisposable
{
    private static readonly TimeSpan _limit = TimeSpan.FromSeconds(60);

    private readonly Scratch _scratch = new();

    [Fact]
    public async Task CheckRules_AcceptsTheShippedRules()
    {
        var (code, output) = await ChildProcess.RunAsync(Tools.Promtool, ["check", "rules", Examples.RulesFile], _limit);

        Assert.True(code == 0, $"promtool check rules exited {code}:\n{output}");
        Assert.Contains($"SUCCESS: {ShippedConfig.Alerts().Count} rules found", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TestRules_PassesTheShippedUnitTests()
    {
        var (code, output) = await ChildProcess.RunAsync(Tools.Promtool, ["test", "rules", "budget-run.rules.test.yml"], _limit,
            workingDirectory: Examples.PrometheusExamples);

        Assert.True(code == 0, $"promtool test rules exited {code}:\n{output}");
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
    }

    [Fact]
    public void RuleUnitTests_ShowEveryAlertFiringAndNotFiring()
    {
        var alerts = ShippedConfig.Alerts();
        Assert.Equal(
            ["BudgetRunAccountExhausted", "BudgetRunAccountSpendAbove80Percent", "BudgetRunBudgetExhausted", "BudgetRunKillSwitchEngaged", "BudgetRunNoRecentSuccess", "BudgetRunRetryStorm", "BudgetRunSpendAbove80Percent", "BudgetRunSpendWarning", "BudgetRunTargetDown"],
            alerts.Order(StringComparer.Ordinal));

        var tests = File.ReadAllText(Examples.RulesTestFile);
        foreach (var alert in alerts)
        {
            var cases = AlertCase().Matches(tests).Where(match => match.Groups["alert"].Value == alert).ToList();
            Assert.True(cases.Any(match => match.Groups["empty"].Success), $"no test case shows {alert} not firing (exp_alerts: [])");
            Assert.True(cases.Any(match => !match.Groups["empty"].Success), $"no test case shows {alert} firing");
        }
    }

    [Fact]
    public async Task CheckConfig_AcceptsTheShippedScrapeConfig()
    {
        var (code, output) = await ChildProcess.RunAsync(Tools.Promtool, ["check", "config", Examples.ScrapeConfig], _limit);

        Assert.True(code == 0, $"promtool check config exited {code}:\n{output}");
    }

    [Fact]
    public async Task CheckConfig_AcceptsTheKubernetesScrapeConfig()
    {
        var (code, output) = await ChildProcess.RunAsync(Tools.Promtool, ["check", "config", Examples.KubernetesScrapeConfig], _limit);

        // Debian builds Prometheus without Kubernetes discovery, so its promtool does not know
        // kubernetes_sd_configs: then everything else (relabelling included) is checked with the
        // discovery swapped for a static target.
        if (code != 0 && output.Contains("field kubernetes_sd_configs not found", StringComparison.Ordinal))
        {
            var config = File.ReadAllText(Examples.KubernetesScrapeConfig);
            var swapped = config.Replace("kubernetes_sd_configs:\n      - role: pod", "static_configs:\n      - targets: [\"127.0.0.1:1\"]", StringComparison.Ordinal);
            Assert.NotEqual(config, swapped);
            File.Copy(Examples.RulesFile, _scratch.Path("budget-run.rules.yml"));
            (code, output) = await ChildProcess.RunAsync(Tools.Promtool, ["check", "config", _scratch.Write("scrape-kubernetes.yml", swapped)], _limit);
        }
        Assert.True(code == 0, $"promtool check config exited {code}:\n{output}");
    }

    [Fact]
    public async Task CheckConfig_AcceptsTheShippedAlertmanagerConfig()
    {
        var (code, output) = await ChildProcess.RunAsync(Tools.Amtool, ["check-config", Examples.AlertmanagerConfig], _limit);

        Assert.True(code == 0, $"amtool check-config exited {code}:\n{output}");
    }

    public void Dispose() => _scratch.Dispose();

    /// <summary>One alert_rule_test case: its alert name and whether it expects no alert.</summary>
    [GeneratedRegex(@"alertname: (?<alert>\w+)\s*\n\s*exp_alerts:(?<empty>\s*\[\])?")]
    private static partial Regex AlertCase();
}
