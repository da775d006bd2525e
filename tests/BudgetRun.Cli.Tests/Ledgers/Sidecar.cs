using System.Globalization;
using System.Net;
using System.Text.Json;
using Xunit.Sdk;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// One <c>budget-run serve</c> as a test drives it: the process, and a client connected to the URL
/// of its <c>serving budget K (ledger) on http://...</c> line (it is started on port 0).
/// Disposing it kills the process.
/// </summary>
internal sealed class Sidecar : IDisposable
{
    private Sidecar(BudgetRunProcess process, ControlPlaneClient client)
    {
        Process = process;
        Client = client;
    }

    public BudgetRunProcess Process { get; }

    public ControlPlaneClient Client { get; }

    /// <summary>Waits for the serving line of <paramref name="process"/> and connects to its URL.</summary>
    public static async Task<Sidecar> ConnectAsync(BudgetRunProcess process)
    {
        return new Sidecar(process, new ControlPlaneClient(await Wait.ForSidecarAsync(process)));
    }

    public Task<ControlAnswer> ReserveAsync(long cents, string? token = null) =>
        Client.PostAsync("/v1/reserve", string.Create(CultureInfo.InvariantCulture, $"{{\"cents\": {cents}}}"), token);

    /// <summary>Reserves <paramref name="cents"/>, which must answer 200; returns the reservation id.</summary>
    public async Task<string> ReserveIdAsync(long cents, string? token = null)
    {
        var answer = (await ReserveAsync(cents, token)).AssertStatus(HttpStatusCode.OK);
        return answer.Json.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String && id.GetString() is { Length: > 0 } text
            ? text
            : throw new XunitException($"no reservation id in\n{answer}");
    }

    public Task<ControlAnswer> SettleAsync(string id, long cents, string? token = null) =>
        Client.PostAsync("/v1/settle", JsonSerializer.Serialize(new Dictionary<string, object> { ["id"] = id, ["cents"] = cents }), token);

    /// <summary><c>GET /status</c>: the account in the shared vocabulary (plus the sidecar's state and workload).</summary>
    public async Task<AccountSnapshot> StatusAsync() => AccountSnapshot.From(await Client.StatusAsync(), exactly: false);

    public void Dispose()
    {
        Client.Dispose();
        Process.Dispose();
    }
}
