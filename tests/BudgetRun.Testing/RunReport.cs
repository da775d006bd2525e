using System.Globalization;
using System.Text.Json;
using Xunit.Sdk;

namespace BudgetRun.Testing;

/// <summary>The JSON report of <c>--report PATH</c>, read field by field with failures that show the file.</summary>
internal sealed class RunReport
{
    private RunReport(string json, JsonElement root)
    {
        Json = json;
        Root = root;
    }

    public string Json { get; }

    public JsonElement Root { get; }

    public string Outcome => Text(Root, "outcome");

    public int ExitCode => (int)Number(Root, "exitCode");

    public long CostCents => Number(Root, "costCents");

    public long BudgetCents => Number(Root, "budgetCents");

    public IReadOnlyList<JsonElement> Attempts =>
        Field(Root, "attempts") is { ValueKind: JsonValueKind.Array } array
            ? array.EnumerateArray().ToList()
            : throw Fail("attempts is not an array");

    public static RunReport Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new XunitException($"no report was written at {path}");
        }
        var json = File.ReadAllText(path);
        try
        {
            return new RunReport(json, JsonDocument.Parse(json).RootElement.Clone());
        }
        catch (JsonException ex)
        {
            throw new XunitException($"the report at {path} is not JSON ({ex.Message}):\n{json}");
        }
    }

    public JsonElement Field(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value
            : throw Fail($"'{name}' is missing from {element}");

    public bool Has(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    public string Text(JsonElement element, string name) =>
        Field(element, name) is { ValueKind: JsonValueKind.String } value
            ? value.GetString()!
            : throw Fail($"'{name}' is not a string in {element}");

    public long Number(JsonElement element, string name) =>
        Field(element, name) is { ValueKind: JsonValueKind.Number } value
            ? (long)value.GetDouble()
            : throw Fail($"'{name}' is not a number in {element}");

    public double Real(JsonElement element, string name) =>
        Field(element, name) is { ValueKind: JsonValueKind.Number } value
            ? value.GetDouble()
            : throw Fail($"'{name}' is not a number in {element}");

    public DateTimeOffset Time(JsonElement element, string name) =>
        DateTimeOffset.TryParse(Text(element, name), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time)
            ? time
            : throw Fail($"'{name}' is not a timestamp in {element}");

    private XunitException Fail(string what) => new($"report: {what}\n--- report ---\n{Json}");
}
