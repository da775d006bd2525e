using System.Text.Json;
using Xunit.Sdk;

namespace BudgetRun.Resilience.Tests.Infrastructure;

/// <summary>The money of an account as <c>budget-run status --json</c> prints it.</summary>
internal sealed record LedgerTotals(long SpentCents, long ReservedCents, long? RemainingCents, bool KillSwitch)
{
    public static LedgerTotals Parse(string json)
    {
        try
        {
            var root = JsonDocument.Parse(json).RootElement;
            return new LedgerTotals(
                root.GetProperty("spentCents").GetInt64(),
                root.GetProperty("reservedCents").GetInt64(),
                root.GetProperty("remainingCents") is { ValueKind: JsonValueKind.Number } remaining ? remaining.GetInt64() : null,
                root.GetProperty("killSwitch").GetBoolean());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new XunitException($"not the status JSON ({ex.Message}):\n{json}");
        }
    }
}
