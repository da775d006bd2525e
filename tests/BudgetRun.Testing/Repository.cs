using System.Reflection;

namespace BudgetRun.Testing;

/// <summary>The repository the tests were built from (its examples, scripts and builds), and that build's configuration.</summary>
internal static class Repository
{
    public static string Root { get; } = Metadata("RepoRoot");

    /// <summary>The configuration the tests were built with (Debug, Release).</summary>
    public static string Configuration { get; } = Metadata("Configuration");

    /// <summary>The absolute path of <paramref name="relative"/>, a path from the repository's root.</summary>
    public static string PathOf(string relative) => Path.Combine(Root, relative);

    private static string Metadata(string key) =>
        typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(attribute => attribute.Key == key)?.Value
        ?? throw new InvalidOperationException($"the BudgetRun.Testing assembly lacks the {key} metadata (see its csproj)");
}
