using System.Text.Json.Serialization;

namespace BudgetRun.Cli.Subcommands;

/// <summary>The JSON of the <c>budget</c> subcommands, camelCase like <c>status --json</c>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(BudgetView))]
[JsonSerializable(typeof(BudgetListEntry[]))]
internal sealed partial class BudgetJsonContext : JsonSerializerContext;
