namespace BudgetRun.Observability.Tests.Infrastructure;

/// <summary>The shipped Prometheus, Alertmanager and Grafana examples under test.</summary>
internal static class Examples
{
    public static string PrometheusExamples { get; } = Repository.PathOf(Path.Combine("examples", "prometheus"));

    public static string RulesFile => Path.Combine(PrometheusExamples, "budget-run.rules.yml");

    public static string RulesTestFile => Path.Combine(PrometheusExamples, "budget-run.rules.test.yml");

    public static string ScrapeConfig => Path.Combine(PrometheusExamples, "scrape.yml");

    public static string KubernetesScrapeConfig => Path.Combine(PrometheusExamples, "scrape-kubernetes.yml");

    public static string AlertmanagerConfig => Path.Combine(PrometheusExamples, "alertmanager.yml");

    public static string Dashboard => Repository.PathOf(Path.Combine("examples", "grafana", "budget-run.json"));
}
