namespace BudgetRun.Bench.Reporting;

/// <summary>bench/out/results.json.</summary>
internal sealed record BenchReport(
    string Mode,
    DateTimeOffset GeneratedAt,
    string Context,
    IReadOnlyList<Figure> Figures,
    bool Crashed,
    int ExitCode);
