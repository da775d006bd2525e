using System.Text.Json.Serialization;

namespace BudgetRun.Cli.Reporting;

/// <summary>Source-generated JSON (trim and AOT safe) for everything budget-run writes as JSON.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(RunReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
