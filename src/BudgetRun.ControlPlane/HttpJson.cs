using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace BudgetRun.ControlPlane;

/// <summary>Strict, bounded JSON in and out of the control endpoints.</summary>
internal static class HttpJson
{
    /// <summary>The largest request body any endpoint reads.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public static async Task WriteAsync<T>(HttpContext context, int status, T value, JsonTypeInfo<T> typeInfo)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await JsonSerializer.SerializeAsync(context.Response.Body, value, typeInfo, context.RequestAborted).ConfigureAwait(false);
    }

    public static Task ProblemAsync(HttpContext context, int status, string title, string? detail = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return JsonSerializer.SerializeAsync(context.Response.Body, new Problem(title, status, detail),
            ControlJsonContext.Default.Problem, context.RequestAborted);
    }

    /// <summary>
    /// Reads a JSON body of at most <see cref="MaxBodyBytes"/>. Returns the value, or null with an
    /// error to answer with 400. An empty body yields <paramref name="whenEmpty"/> when it is allowed.
    /// </summary>
    public static async Task<(T? Value, string? Error)> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> typeInfo, T? whenEmpty = null)
        where T : class
    {
        var request = context.Request;
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, $"the body is larger than {MaxBodyBytes / 1024} KiB");
        }
        var buffer = new byte[MaxBodyBytes + 1];
        var length = 0;
        try
        {
            while (length < buffer.Length)
            {
                var read = await request.Body.ReadAsync(buffer.AsMemory(length), context.RequestAborted).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                length += read;
            }
        }
        catch (BadHttpRequestException)
        {
            // Kestrel read a chunked body past its own limit ahead of us: too large all the same.
            return (null, $"the body is larger than {MaxBodyBytes / 1024} KiB");
        }
        if (length > MaxBodyBytes)
        {
            return (null, $"the body is larger than {MaxBodyBytes / 1024} KiB");
        }
        if (length == 0)
        {
            return whenEmpty is null ? (null, "a JSON body is required") : (whenEmpty, null);
        }
        var body = buffer.AsMemory(0, length);
        if (Shape(body, typeInfo) is { } shapeError)
        {
            return (null, shapeError);
        }
        try
        {
            var value = JsonSerializer.Deserialize(body.Span, typeInfo);
            return value is null ? (null, "the body must be a JSON object") : (value, null);
        }
        catch (JsonException ex)
        {
            // Well-formed, with the right fields: one of them has a value of the wrong kind.
            var field = ex.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
            return (null, field is null ? "the body does not match this endpoint's fields" : $"field '{field}' must be {Expected(typeInfo, field)}");
        }
    }

    /// <summary>
    /// Checks what the serializer would report in .NET's words (type names, "could not be mapped"):
    /// well-formed JSON, an object, no duplicate, unknown or missing field. Null when it is fine.
    /// </summary>
    private static string? Shape<T>(ReadOnlyMemory<byte> body, JsonTypeInfo<T> typeInfo)
    {
        if (!System.Text.Unicode.Utf8.IsValid(body.Span))
        {
            return "the body is not valid UTF-8";
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            return $"malformed JSON at line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}";
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return "the body must be a JSON object";
            }
            var known = typeInfo.Properties.ToDictionary(property => property.Name, StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var field in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(field.Name))
                {
                    return $"field '{Printable(field.Name)}' appears more than once";
                }
                if (!known.ContainsKey(field.Name))
                {
                    return $"unknown field '{Printable(field.Name)}' (this endpoint takes {string.Join(", ", known.Keys)})";
                }
            }
            return known.Values.FirstOrDefault(property => property.IsRequired && !seen.Contains(property.Name)) is { } missing
                ? $"field '{missing.Name}' is required"
                : null;
        }
    }

    private static string Expected<T>(JsonTypeInfo<T> typeInfo, string field) =>
        typeInfo.Properties.FirstOrDefault(property => property.Name == field)?.PropertyType switch
        {
            { } type when type == typeof(long) || type == typeof(long?) || type == typeof(int) => "a whole number",
            { } type when type == typeof(string) => "a string",
            _ => "of another kind",
        };

    /// <summary>A field name from the request, shortened and without control characters, for an error body.</summary>
    private static string Printable(string name)
    {
        var clean = string.Concat(name.Select(c => char.IsControl(c) ? '?' : c));
        return clean.Length > 64 ? clean[..64] + "..." : clean;
    }
}
