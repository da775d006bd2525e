namespace BudgetRun.Resilience.Tests.Infrastructure;

/// <summary>A test of minutes, run only when <c>BUDGET_RUN_SOAK=1</c> (CI runs the sized-down versions).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SoakFactAttribute : FactAttribute
{
    public const string Variable = "BUDGET_RUN_SOAK";

    public SoakFactAttribute()
    {
        if (!IsEnabled)
        {
            Skip = $"soak test: minutes long, opt-in with {Variable}=1 (CI runs the CI-sized load tests instead)";
        }
    }

    public static bool IsEnabled => Environment.GetEnvironmentVariable(Variable) == "1";
}
