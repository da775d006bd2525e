namespace BudgetRun.Testing;

/// <summary>One sample line: <c>name{labels} value</c>.</summary>
internal sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);
