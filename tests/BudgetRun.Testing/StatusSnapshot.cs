using System.Text.Json;
using Xunit.Sdk;

namespace BudgetRun.Testing;

/// <summary>
/// The parts of <c>GET /status</c> that a rejected request must leave alone: a test takes one
/// before and one after and compares them.
/// </summary>
internal sealed record StatusSnapshot(string State, int Attempt, long SpentCents, long ReservedCents, bool KillSwitch, int? ChildPid)
{
    public static StatusSnapshot From(JsonElement status) => new(
        Field(status, "state").GetString()!,
        Field(status, "attempt").GetInt32(),
        Field(status, "spentCents").GetInt64(),
        Field(status, "reservedCents").GetInt64(),
        Field(status, "killSwitch").GetBoolean(),
        Field(status, "childPid") is { ValueKind: JsonValueKind.Number } pid ? pid.GetInt32() : null);

    public static async Task<StatusSnapshot> TakeAsync(ControlPlaneClient client) => From(await client.StatusAsync());

    private static JsonElement Field(JsonElement status, string name) =>
        status.TryGetProperty(name, out var value) ? value : throw new XunitException($"/status lacks '{name}': {status}");
}
