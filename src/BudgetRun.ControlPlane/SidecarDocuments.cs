using System.Text.Json.Serialization;
using BudgetRun.Ledgers;

namespace BudgetRun.ControlPlane;

/// <summary><c>POST /v1/reserve</c> body.</summary>
internal sealed record ReserveRequest([property: JsonRequired] long Cents);

/// <summary><c>POST /v1/reserve</c> answer (200).</summary>
internal sealed record ReserveResponse(string Id, long Cents, long? RemainingCents);

/// <summary><c>POST /v1/settle</c> body: the real cost of reservation <c>id</c>.</summary>
internal sealed record SettleRequest([property: JsonRequired] string Id, [property: JsonRequired] long Cents);

/// <summary><c>POST /v1/settle</c> answer (200).</summary>
internal sealed record SettleResponse(string Id, long Cents, long SpentCents, long? RemainingCents);

/// <summary>The sidecar's <c>GET /status</c>: the account in the shared vocabulary.</summary>
internal sealed record SidecarStatus(
    string State,
    string Workload,
    string BudgetKey,
    long? BudgetCents,
    long SpentCents,
    long ReservedCents,
    long? RemainingCents,
    DateTimeOffset? WindowEndsAt,
    bool KillSwitch,
    string? KillReason)
{
    /// <summary>The levels above the account that have terms (limit, spent, reserved, remaining each); absent when none has.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<AccountStatus>? Levels { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict,
    AllowDuplicateProperties = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ReserveRequest))]
[JsonSerializable(typeof(ReserveResponse))]
[JsonSerializable(typeof(SettleRequest))]
[JsonSerializable(typeof(SettleResponse))]
[JsonSerializable(typeof(SidecarStatus))]
internal sealed partial class SidecarJsonContext : JsonSerializerContext;
