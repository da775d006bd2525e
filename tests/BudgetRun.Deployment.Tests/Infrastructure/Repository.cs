using System.Globalization;
using System.Reflection;

namespace BudgetRun.Deployment.Tests.Infrastructure;

/// <summary>
/// Paths in the repository under test, and the budget-run executable: this repository's build (the
/// configuration the tests were built with) unless <c>BUDGET_RUN_EXE</c> names another build, such as
/// the Native AOT binary in CI.
/// </summary>
internal static class Repository
{
    private static readonly Lazy<string> _budgetRun = new(LocateBudgetRun);

    public static string Root { get; } = Metadata("RepoRoot");

    public static string BudgetRun => _budgetRun.Value;

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    private static string LocateBudgetRun()
    {
        var overridden = Environment.GetEnvironmentVariable("BUDGET_RUN_EXE");
        var path = string.IsNullOrEmpty(overridden)
            ? PathOf(string.Format(CultureInfo.InvariantCulture, "src/BudgetRun.Cli/bin/{0}/net10.0/budget-run", Metadata("Configuration")))
            : Path.GetFullPath(overridden);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"{path} does not exist: build the solution first, or set BUDGET_RUN_EXE to the executable to test", path);
        }
        return path;
    }

    private static string Metadata(string key) =>
        typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(attribute => attribute.Key == key)?.Value
        ?? throw new InvalidOperationException($"the test assembly lacks the {key} metadata (see the csproj)");
}
