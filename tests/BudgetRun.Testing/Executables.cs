using System.Globalization;

namespace BudgetRun.Testing;

/// <summary>
/// The programs under test. budget-run and test-child come from this repository's build (the
/// configuration the tests were built with) unless <c>BUDGET_RUN_EXE</c> / <c>TEST_CHILD_EXE</c>
/// name another build, such as the Native AOT binary in CI.
/// </summary>
internal static class Executables
{
    private static readonly Lazy<string> _budgetRun = new(() =>
        Locate("BUDGET_RUN_EXE", "src/BudgetRun.Cli/bin/{0}/net10.0/budget-run"));

    private static readonly Lazy<string> _testChild = new(() =>
        Locate("TEST_CHILD_EXE", "tests/BudgetRun.TestChild/bin/{0}/net10.0/test-child"));

    public static string BudgetRun => _budgetRun.Value;

    public static string TestChild => _testChild.Value;

    private static string Locate(string variable, string relativePattern)
    {
        var overridden = Environment.GetEnvironmentVariable(variable);
        var path = string.IsNullOrEmpty(overridden)
            ? Repository.PathOf(string.Format(CultureInfo.InvariantCulture, relativePattern, Repository.Configuration))
            : Path.GetFullPath(overridden);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"{path} does not exist: build the solution first, or set {variable} to the executable to test", path);
        }
        return path;
    }
}
