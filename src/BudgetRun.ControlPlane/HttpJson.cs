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
        try
        {
            var value = JsonSerializer.Deserialize(buffer.AsSpan(0, length), typeInfo);
            return value is null ? (null, "the body must be a JSON object") : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, "malformed JSON: " + FirstLine(ex.Message));
        }
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        var line = end < 0 ? message : message[..end];
        return line.Length > 200 ? line[..200] : line;
    }
}
