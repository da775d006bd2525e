using System.Text.Json.Serialization;
using BudgetRun.Ledgers;

namespace BudgetRun.ControlPlane;

/// <summary><c>GET /status</c>. Names are shared with <c>budget-run status --json</c> and the sidecar.</summary>
internal sealed record StatusDocument(
    string State,
    string Workload,
    int Attempt,
    int MaxAttempts,
    long SpentCents,
    long ReservedCents,
    long BudgetCents,
    long RemainingCents,
    DateTimeOffset? NextAttemptAt,
    bool KillSwitch,
    string? KillReason,
    int? ChildPid,
    string? BudgetKey,
    DateTimeOffset? WindowEndsAt)
{
    /// <summary>The running metered attempt's meter; absent when none runs.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public BudgetRun.Engine.MeterReading? Meter { get; init; }

    /// <summary>The levels above the run's account that have terms (limit, spent, reserved, remaining each); absent when none has.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<AccountStatus>? Levels { get; init; }
}

/// <summary><c>POST /kill</c> body (optional).</summary>
internal sealed record KillRequest(string? Reason, string? Scope);

/// <summary><c>POST /cost</c> body.</summary>
internal sealed record CostRequest([property: JsonRequired] long Cents);

internal sealed record CostResponse(long SpentCents, long RemainingCents);

/// <summary><c>POST /retry</c> body: <c>{"after": "45s"}</c> or <c>{"retry": false, "reason": "..."}</c>.</summary>
internal sealed record RetryRequest(string? After, bool? Retry, string? Reason);

/// <summary>What the run will do after the attempt: retry after at least <c>afterMs</c>, or not retry.</summary>
internal sealed record RetryResponse(bool Retry, long? AfterMs);

internal sealed record KillResponse(bool KillSwitch, string? Reason);

internal sealed record HealthResponse(string Status, string? Reason);

/// <summary>An RFC 9457 problem body, short.</summary>
internal sealed record Problem(string Title, int Status, string? Detail);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict,
    AllowDuplicateProperties = false,
    AllowTrailingCommas = false,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(StatusDocument))]
[JsonSerializable(typeof(BudgetRun.Engine.MeterReading))]
[JsonSerializable(typeof(KillRequest))]
[JsonSerializable(typeof(CostRequest))]
[JsonSerializable(typeof(CostResponse))]
[JsonSerializable(typeof(RetryRequest))]
[JsonSerializable(typeof(RetryResponse))]
[JsonSerializable(typeof(KillResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(Problem))]
[JsonSerializable(typeof(BudgetRun.Engine.AttemptKind))]
internal sealed partial class ControlJsonContext : JsonSerializerContext;
