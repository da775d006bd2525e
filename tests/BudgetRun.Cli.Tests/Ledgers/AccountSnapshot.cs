using System.Globalization;
using System.Text.Json;
using Xunit.Sdk;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// An account in the vocabulary of issue 11, as <c>status --json</c>, the sidecar's <c>GET /status</c>
/// and a run's <c>GET /status</c> print it: every field present (null where the contract allows),
/// <c>windowEndsAt</c> ISO 8601 in UTC. Parsing fails the test with the JSON when one is not.
/// </summary>
internal sealed record AccountSnapshot(
    string BudgetKey,
    long? BudgetCents,
    long SpentCents,
    long ReservedCents,
    long? RemainingCents,
    DateTimeOffset? WindowEndsAt,
    bool KillSwitch,
    string? KillReason)
{
    /// <summary>The field names of the contract, in its order.</summary>
    public static readonly string[] FieldNames =
        ["budgetKey", "budgetCents", "spentCents", "reservedCents", "remainingCents", "windowEndsAt", "killSwitch", "killReason"];

    /// <summary>Parses <paramref name="json"/>; <paramref name="exactly"/> demands no fields beyond the contract's.</summary>
    public static AccountSnapshot Parse(string json, bool exactly)
    {
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(json).RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new XunitException($"not JSON ({ex.Message}):\n{json}");
        }
        return From(root, exactly);
    }

    public static AccountSnapshot From(JsonElement root, bool exactly)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new XunitException($"expected a JSON object: {root}");
        }
        var names = root.EnumerateObject().Select(property => property.Name).ToHashSet(StringComparer.Ordinal);
        var missing = FieldNames.Where(name => !names.Contains(name)).ToList();
        if (missing.Count > 0)
        {
            throw new XunitException($"missing field(s) {string.Join(", ", missing)}: {root}");
        }
        if (exactly && names.Count != FieldNames.Length)
        {
            throw new XunitException($"field(s) beyond the contract: {string.Join(", ", names.Except(FieldNames))}: {root}");
        }
        return new AccountSnapshot(
            Text(root, "budgetKey") ?? throw new XunitException($"budgetKey is null: {root}"),
            NullableNumber(root, "budgetCents"),
            NullableNumber(root, "spentCents") ?? throw new XunitException($"spentCents is null: {root}"),
            NullableNumber(root, "reservedCents") ?? throw new XunitException($"reservedCents is null: {root}"),
            NullableNumber(root, "remainingCents"),
            UtcTime(root, "windowEndsAt"),
            root.GetProperty("killSwitch") is { ValueKind: JsonValueKind.True or JsonValueKind.False } kill
                ? kill.GetBoolean()
                : throw new XunitException($"killSwitch is not a boolean: {root}"),
            Text(root, "killReason"));
    }

    private static string? Text(JsonElement root, string name) => root.GetProperty(name) switch
    {
        { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.String } value => value.GetString(),
        var other => throw new XunitException($"{name} is not a string: {other} in {root}"),
    };

    private static long? NullableNumber(JsonElement root, string name) => root.GetProperty(name) switch
    {
        { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.Number } value when value.TryGetInt64(out var number) => number,
        var other => throw new XunitException($"{name} is not a whole number: {other} in {root}"),
    };

    /// <summary>ISO 8601 with a UTC designator (<c>Z</c> or <c>+00:00</c>), or null.</summary>
    private static DateTimeOffset? UtcTime(JsonElement root, string name)
    {
        var text = Text(root, name);
        if (text is null)
        {
            return null;
        }
        if (!(text.EndsWith('Z') || text.EndsWith("+00:00", StringComparison.Ordinal))
            || !DateTimeOffset.TryParseExact(text, ["yyyy-MM-ddTHH:mm:ss.FFFFFFFK", "yyyy-MM-ddTHH:mm:ssK"], CultureInfo.InvariantCulture,
                DateTimeStyles.None, out var time)
            || time.Offset != TimeSpan.Zero)
        {
            throw new XunitException($"{name} '{text}' is not an ISO 8601 UTC time: {root}");
        }
        return time;
    }
}
