using System.Text.RegularExpressions;
using Xunit.Sdk;

namespace BudgetRun.Observability.Tests.Infrastructure;

/// <summary>
/// The shipped Prometheus configuration (examples/prometheus/scrape.yml and the rules it loads),
/// pointed at the test's servers: only the example addresses and the intervals change, so the
/// end-to-end tests run the jobs, relabelling and rules users get. A replacement that no longer
/// matches the shipped file fails the test, instead of quietly testing something else.
/// </summary>
internal static partial class ShippedConfig
{
    private const string BudgetRunTarget = "\"127.0.0.1:9464\"";
    private const string PushgatewayTarget = "\"127.0.0.1:9091\"";
    private const string AlertmanagerTarget = "\"127.0.0.1:9093\"";

    /// <summary>
    /// Writes prometheus.yml and budget-run.rules.yml into <paramref name="scratch"/> and returns the
    /// configuration's path. Scrapes and rule evaluations happen every second. With
    /// <paramref name="immediateAlerts"/>, every rule's <c>for</c> becomes 0s: the end-to-end test
    /// proves the path from a metric to the webhook, and waiting out production <c>for</c>
    /// durations (minutes) would add nothing that `promtool test rules` does not already prove.
    /// </summary>
    public static string WritePrometheusConfig(Scratch scratch, string? budgetRun = null, string? pushgateway = null, string? alertmanager = null,
        bool immediateAlerts = false)
    {
        var config = File.ReadAllText(Examples.ScrapeConfig);
        config = ReplaceOnce(config, "scrape_interval: 15s", "scrape_interval: 1s\n  scrape_timeout: 1s", "scrape.yml");
        config = ReplaceOnce(config, "evaluation_interval: 15s", "evaluation_interval: 1s", "scrape.yml");
        config = ReplaceOnce(config, BudgetRunTarget, Quoted(budgetRun ?? "127.0.0.1:1"), "scrape.yml");
        config = ReplaceOnce(config, PushgatewayTarget, Quoted(pushgateway ?? "127.0.0.1:1"), "scrape.yml");
        config = ReplaceOnce(config, AlertmanagerTarget, Quoted(alertmanager ?? "127.0.0.1:1"), "scrape.yml");

        var rules = File.ReadAllText(Examples.RulesFile);
        if (immediateAlerts)
        {
            var alerts = AlertNames().Matches(rules).Count;
            var durations = ForDuration().Matches(rules).Count;
            if (durations != alerts)
            {
                throw new XunitException($"budget-run.rules.yml has {alerts} alerts but {durations} `for:` lines: update {nameof(ShippedConfig)}");
            }
            rules = ForDuration().Replace(rules, "$1 0s");
        }
        scratch.Write("budget-run.rules.yml", rules);
        return scratch.Write("prometheus.yml", config);
    }

    /// <summary>The alert names the shipped rules define.</summary>
    public static IReadOnlyList<string> Alerts() =>
        AlertNames().Matches(File.ReadAllText(Examples.RulesFile)).Select(match => match.Groups[1].Value).ToList();

    private static string Quoted(string address) => $"\"{address}\"";

    private static string ReplaceOnce(string text, string old, string replacement, string file)
    {
        var first = text.IndexOf(old, StringComparison.Ordinal);
        if (first < 0 || text.IndexOf(old, first + 1, StringComparison.Ordinal) >= 0)
        {
            throw new XunitException($"examples/prometheus/{file} should contain `{old}` exactly once: update {nameof(ShippedConfig)} with it");
        }
        return text.Replace(old, replacement, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^[ \t]*- alert: (\w+)[ \t]*$", RegexOptions.Multiline)]
    private static partial Regex AlertNames();

    [GeneratedRegex(@"^([ \t]+for:) \S+[ \t]*$", RegexOptions.Multiline)]
    private static partial Regex ForDuration();
}
