using System.Net;
using System.Text;
using System.Text.Json;
using Xunit.Sdk;

namespace BudgetRun.Testing;

/// <summary>
/// HTTP on loopback to the control plane of one running budget-run. Every answer is read whole, so
/// a test asserts on status, headers and body without further awaits; every request has a time limit.
/// </summary>
internal sealed class ControlPlaneClient : IDisposable
{
    private readonly HttpClient _http;

    public ControlPlaneClient(Uri baseUrl)
    {
        BaseUrl = baseUrl;
        _http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>The base URL budget-run logged (<c>http://127.0.0.1:PORT</c>).</summary>
    public Uri BaseUrl { get; }

    /// <summary>Waits for budget-run's "listening on" line and connects to that URL.</summary>
    public static async Task<ControlPlaneClient> ConnectAsync(BudgetRunProcess run) => new(await Wait.ForControlPlaneAsync(run));

    public Task<ControlAnswer> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    /// <summary>POSTs <paramref name="json"/> (null: an empty body) with <c>Bearer <paramref name="token"/></c> unless it is null.</summary>
    public Task<ControlAnswer> PostAsync(string path, string? json, string? token) =>
        SendAsync(HttpMethod.Post, path, json is null ? null : Json(json), token is null ? null : "Bearer " + token);

    /// <summary>
    /// Sends a request as given: <paramref name="authorization"/> is the raw header value, not
    /// validated by the client, so malformed credentials reach the server as written. With
    /// <paramref name="expectContinue"/> the body is sent only once the server asks for it, so a
    /// server that rejects the request by its headers answers before any of the body is sent.
    /// </summary>
    public async Task<ControlAnswer> SendAsync(HttpMethod method, string path, HttpContent? content = null, string? authorization = null,
        bool expectContinue = false)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.ExpectContinue = expectContinue;
        if (authorization is not null && !request.Headers.TryAddWithoutValidation("Authorization", authorization))
        {
            throw new XunitException($"cannot send the Authorization header '{authorization}'");
        }
        using var response = await _http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return new ControlAnswer(method, path, response.StatusCode, response.Content.Headers.ContentType?.MediaType, body,
            response.Headers.WwwAuthenticate.ToString(), response.Headers.Concat(response.Content.Headers)
                .ToDictionary(header => header.Key, header => string.Join(", ", header.Value), StringComparer.OrdinalIgnoreCase));
    }

    /// <summary><c>GET /status</c>, which must answer 200 with a JSON object.</summary>
    public async Task<JsonElement> StatusAsync()
    {
        var answer = await GetAsync("/status");
        answer.AssertStatus(HttpStatusCode.OK);
        return answer.Json;
    }

    /// <summary><c>GET /metrics</c>, which must answer 200 with the Prometheus text format.</summary>
    public async Task<PrometheusText> MetricsAsync()
    {
        var answer = await GetAsync("/metrics");
        answer.AssertStatus(HttpStatusCode.OK);
        return PrometheusText.Parse(answer.Body);
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public void Dispose() => _http.Dispose();
}
