namespace BudgetRun.Bench.Reporting;

/// <summary>How a figure stands against its target.</summary>
internal enum Verdict
{
    Met,
    Missed,

    /// <summary>Reported for information; the figure has no target.</summary>
    Info,

    /// <summary>Not measured: skipped on purpose or the measurement failed (see the note).</summary>
    NotMeasured,
}
