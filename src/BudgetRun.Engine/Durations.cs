namespace BudgetRun.Engine;

/// <summary>Durations as budget-run's messages write them: <c>1.5s</c>, <c>250ms</c>.</summary>
internal static class Durations
{
    public static string Format(TimeSpan span) => span.TotalSeconds >= 1
        ? $"{span.TotalSeconds:0.###}s"
        : $"{span.TotalMilliseconds:0.###}ms";
}
