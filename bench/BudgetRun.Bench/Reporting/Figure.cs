namespace BudgetRun.Bench.Reporting;

/// <summary>
/// One row of the table. <see cref="Value"/> and <see cref="Baseline"/> share <see cref="Unit"/>;
/// <see cref="Ratio"/> is value / baseline.
/// </summary>
internal sealed record Figure(
    string Id,
    string Name,
    double? Value,
    double? Baseline,
    string BaselineName,
    string Unit,
    string Target,
    Verdict Verdict,
    string Note)
{
    public double? Ratio => Value is { } value && Baseline is { } baseline && baseline != 0 ? value / baseline : null;

    public static Figure NotMeasured(string id, string name, string reason, string target, double? baseline = null, string baselineName = "", string unit = "") =>
        new(id, name, null, baseline, baselineName, unit, target, Verdict.NotMeasured, reason);
}
