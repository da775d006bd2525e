using System.Globalization;
using System.Reflection;
using Xunit.Sdk;

namespace BudgetRun.Observability.Tests.Infrastructure;

/// <summary>
/// The repository the tests were built from: its examples, and the budget-run build of the same
/// configuration, unless <c>BUDGET_RUN_EXE</c> names another build (such as the Native AOT binary).
/// </summary>
internal static class Repository
{
    private static readonly Lazy<string> _budgetRun = new(LocateBudgetRun);

    public static string Root { get; } = Metadata("RepoRoot");

    public static string PrometheusExamples => Path.Combine(Root, "examples", "prometheus");

    public static string RulesFile => Path.Combine(PrometheusExamples, "budget-run.rules.yml");

    public static string RulesTestFile => Path.Combine(PrometheusExamples, "budget-run.rules.test.yml");

    public static string ScrapeConfig => Path.Combine(PrometheusExamples, "scrape.yml");

    public static string KubernetesScrapeConfig => Path.Combine(PrometheusExamples, "scrape-kubernetes.yml");

    public static string AlertmanagerConfig => Path.Combine(PrometheusExamples, "alertmanager.yml");

    public static string Dashboard => Path.Combine(Root, "examples", "grafana", "budget-run.json");

    public static string BudgetRun => _budgetRun.Value;

    private static string LocateBudgetRun()
    {
        var overridden = Environment.GetEnvironmentVariable("BUDGET_RUN_EXE");
        var path = string.IsNullOrEmpty(overridden)
            ? Path.Combine(Root, string.Format(CultureInfo.InvariantCulture, "src/BudgetRun.Cli/bin/{0}/net10.0/budget-run", Metadata("Configuration")))
            : Path.GetFullPath(overridden);
        return File.Exists(path)
            ? path
            : throw new XunitException($"{path} does not exist: build the solution first, or set BUDGET_RUN_EXE to the executable to test");
    }

    private static string Metadata(string key) =>
        typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(attribute => attribute.Key == key)?.Value
        ?? throw new InvalidOperationException($"the test assembly lacks the {key} metadata (see the csproj)");
}
