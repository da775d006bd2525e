namespace BudgetRun.Cli.Tests.Infrastructure;

/// <summary>Which build of budget-run the tests run: the Native AOT binary (CI, BUDGET_RUN_EXE) or the framework-dependent one.</summary>
internal static class BuildKind
{
    /// <summary>The framework-dependent build has its assemblies beside the executable.</summary>
    public static bool IsNativeAot => !File.Exists(Path.ChangeExtension(Executables.BudgetRun, ".dll"));
}

/// <summary>A fact about the Native AOT binary only (CI tests it through BUDGET_RUN_EXE); skipped for the framework-dependent build.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AotFactAttribute : FactAttribute
{
    public AotFactAttribute()
    {
        if (!BuildKind.IsNativeAot)
        {
            Skip = "needs the Native AOT binary (eng/test.sh publishes it and sets BUDGET_RUN_EXE)";
        }
    }
}

/// <summary>A fact about the framework-dependent build only; skipped when the tests run the Native AOT binary.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class FrameworkDependentFactAttribute : FactAttribute
{
    public FrameworkDependentFactAttribute()
    {
        if (BuildKind.IsNativeAot)
        {
            Skip = "about the framework-dependent build; the tests run the Native AOT binary";
        }
    }
}

/// <summary>A theory about the Native AOT binary only; skipped for the framework-dependent build.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AotTheoryAttribute : TheoryAttribute
{
    public AotTheoryAttribute()
    {
        if (!BuildKind.IsNativeAot)
        {
            Skip = "needs the Native AOT binary (eng/test.sh publishes it and sets BUDGET_RUN_EXE)";
        }
    }
}
