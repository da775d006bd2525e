using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace BudgetRun.Client;

/// <summary>
/// One request to budget-run: JSON in, JSON out, the bearer token on every request, and every
/// answer but a 2xx turned into the typed exception the README's status codes name.
/// </summary>
internal static class BudgetRunHttp
{
    /// <summary>Whole cents in one request: budget-run refuses more (README, "Limits").</summary>
    public const long MaxRequestCents = 1_000_000_000_000;

    /// <summary>budget-run's answers are small; a larger body is not budget-run's.</summary>
    private const int MaxAnswerBytes = 64 * 1024;

    public static async Task<TResponse> PostAsync<TRequest, TResponse>(HttpClient http, Uri url, string? token,
        TRequest request, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken)
        where TResponse : class
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(JsonSerializer.Serialize(request, requestType), Encoding.UTF8, "application/json"),
        };
        if (token is not null)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new BudgetRunException($"budget-run at {Origin(url)} cannot be reached: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BudgetRunException($"budget-run at {Origin(url)} did not answer in time", e);
        }

        using (response)
        {
            var body = await ReadBodyAsync(response, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return Parse(body, responseType) ?? throw new BudgetRunException(
                    $"budget-run at {Origin(url)} answered {(int)response.StatusCode} with a body that is not its JSON", response.StatusCode, null);
            }
            throw Refusal(url, response.StatusCode, body);
        }
    }

    private static BudgetRunException Refusal(Uri url, HttpStatusCode status, byte[] body)
    {
        var problem = Parse(body, ClientJsonContext.Default.ProblemResponse);
        var detail = problem?.Detail;
        var what = detail ?? problem?.Title;
        var path = url.AbsolutePath;
        switch (status)
        {
            case HttpStatusCode.PaymentRequired:
                // POST /cost answers 402 with the run's spend (the cost was recorded); /v1/reserve with a problem.
                var cost = problem?.Title is null ? Parse(body, ClientJsonContext.Default.CostResponse) : null;
                return new BudgetExhaustedException(
                    cost is not null ? $"the budget is exhausted: spent {cost.SpentCents} cents, {cost.RemainingCents} remain" : $"the budget is exhausted: {what ?? "402 Payment Required"}",
                    detail, cost?.SpentCents, cost?.RemainingCents);
            case HttpStatusCode.Locked:
                return new BudgetKilledException($"the budget's kill switch is engaged: {what ?? "423 Locked"}", detail);
            case HttpStatusCode.ServiceUnavailable:
                return new BudgetLedgerUnavailableException($"budget-run cannot reach its ledger: {what ?? "503 Service Unavailable"}", detail);
            default:
                return new BudgetRunException($"budget-run answered {(int)status} to POST {path}: {what ?? status.ToString()}", status, detail);
        }
    }

    private static T? Parse<T>(byte[] body, JsonTypeInfo<T> type)
        where T : class
    {
        if (body.Length == 0)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(body, type);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxAnswerBytes)
            {
                throw new BudgetRunException($"the answer to POST {response.RequestMessage?.RequestUri?.AbsolutePath} is larger than {MaxAnswerBytes} bytes: not budget-run's", response.StatusCode, null);
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>Scheme, host and port: never a path or query that could carry something private.</summary>
    private static string Origin(Uri url) => url.GetLeftPart(UriPartial.Authority);

    /// <summary>An absolute http or https URL with a trailing slash, so relative paths append to it.</summary>
    public static Uri BaseOf(Uri url)
    {
        var text = url.GetLeftPart(UriPartial.Path);
        return new Uri(text.EndsWith('/') ? text : text + "/", UriKind.Absolute);
    }

    public static void CheckCents(long cents, long min, string name)
    {
        if (cents < min || cents > MaxRequestCents)
        {
            throw new ArgumentOutOfRangeException(name, cents, $"cents must be a whole number from {min} to {MaxRequestCents}");
        }
    }
}
