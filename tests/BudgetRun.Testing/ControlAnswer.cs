using System.Net;
using System.Text.Json;
using Xunit.Sdk;

namespace BudgetRun.Testing;

/// <summary>One answer of the control plane, read whole.</summary>
internal sealed record ControlAnswer(
    HttpMethod Method,
    string Path,
    HttpStatusCode Status,
    string? MediaType,
    string Body,
    string WwwAuthenticate,
    IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>The body as JSON; fails the test with the answer when it is not.</summary>
    public JsonElement Json
    {
        get
        {
            try
            {
                return JsonDocument.Parse(Body).RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new XunitException($"the body is not JSON ({ex.Message})\n{this}");
            }
        }
    }

    public ControlAnswer AssertStatus(HttpStatusCode expected)
    {
        if (Status != expected)
        {
            throw new XunitException($"expected {(int)expected} {expected}\n{this}");
        }
        return this;
    }

    /// <summary>Asserts a JSON problem body (RFC 9457) whose <c>status</c> repeats the HTTP status.</summary>
    public ControlAnswer AssertProblem(HttpStatusCode expected)
    {
        AssertStatus(expected);
        if (MediaType != "application/problem+json")
        {
            throw new XunitException($"expected an application/problem+json body\n{this}");
        }
        var json = Json;
        if (json.ValueKind != JsonValueKind.Object
            || !json.TryGetProperty("title", out var title) || title.ValueKind != JsonValueKind.String || title.GetString()!.Length == 0
            || !json.TryGetProperty("status", out var status) || status.ValueKind != JsonValueKind.Number || status.GetInt32() != (int)expected)
        {
            throw new XunitException($"the problem body lacks a title or the status {(int)expected}\n{this}");
        }
        return this;
    }

    public override string ToString()
    {
        var preview = Body.Length <= 2000 ? Body : Body[..2000] + "...";
        return $"{Method} {Path} -> {(int)Status} {Status} ({MediaType ?? "no content type"})\n{preview}";
    }
}
