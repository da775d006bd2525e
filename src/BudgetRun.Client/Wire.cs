using System.Text.Json;
using System.Text.Json.Serialization;

namespace BudgetRun.Client;

// The documents of budget-run's HTTP API (README: "Control plane", "Sidecar mode"), as the wire
// carries them. Source-generated, so the library stays trimming- and Native AOT-safe.

internal sealed record CostRequest(long Cents);

internal sealed record CostResponse(long SpentCents, long RemainingCents);

internal sealed record RetryRequest(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? After,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Retry,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason);

internal sealed record RetryResponse(bool Retry, long? AfterMs);

internal sealed record ReserveRequest(long Cents);

internal sealed record ReserveResponse(string Id, long Cents, long? RemainingCents);

internal sealed record SettleRequest(string Id, long Cents);

internal sealed record SettleResponse(string Id, long Cents, long SpentCents, long? RemainingCents);

internal sealed record ProblemResponse(string? Title, int? Status, string? Detail);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CostRequest))]
[JsonSerializable(typeof(CostResponse))]
[JsonSerializable(typeof(RetryRequest))]
[JsonSerializable(typeof(RetryResponse))]
[JsonSerializable(typeof(ReserveRequest))]
[JsonSerializable(typeof(ReserveResponse))]
[JsonSerializable(typeof(SettleRequest))]
[JsonSerializable(typeof(SettleResponse))]
[JsonSerializable(typeof(ProblemResponse))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
