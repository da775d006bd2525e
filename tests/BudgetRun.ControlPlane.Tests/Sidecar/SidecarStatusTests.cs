using System.Net;
using System.Text.Json;
using BudgetRun.ControlPlane.Tests.Fakes;
using BudgetRun.ControlPlane.Tests.Infrastructure;

namespace BudgetRun.ControlPlane.Tests.Sidecar;

/// <summary>The sidecar's <c>GET /status</c> and <c>/healthz</c>: the account in the shared vocabulary, 503 while killed or exhausted, 503 problem in an outage.</summary>
public sealed class SidecarStatusTests
{
    private static readonly string[] _fields =
    [
        "state", "workload", "budgetKey", "budgetCents", "spentCents", "reservedCents", "remainingCents", "windowEndsAt",
        "killSwitch", "killReason",
    ];

    [Fact]
    public async Task Status_Answers200WithTheAccountInTheSharedVocabulary()
    {
        await using var plane = await SidecarPlane.StartAsync(limitCents: 100);
        await plane.Ledger.ReserveAsync(30, CancellationToken.None);

        var answer = await plane.Client.GetAsync("/status");

        answer.AssertStatus(HttpStatusCode.OK);
        var json = answer.Json;
        Assert.Equal(_fields.Order(), json.EnumerateObject().Select(property => property.Name).Order());
        Assert.Equal(("serving", PlaneHost.Workload, SidecarPlane.BudgetKey),
            (json.GetProperty("state").GetString(), json.GetProperty("workload").GetString(), json.GetProperty("budgetKey").GetString()));
        Assert.Equal((100, 0, 30, 70), (json.GetProperty("budgetCents").GetInt64(), json.GetProperty("spentCents").GetInt64(),
            json.GetProperty("reservedCents").GetInt64(), json.GetProperty("remainingCents").GetInt64()));
        Assert.Equal(JsonValueKind.False, json.GetProperty("killSwitch").ValueKind);
    }

    [Fact]
    public async Task Healthz_WhileTheAccountCanReserve_Answers200Ok()
    {
        await using var plane = await SidecarPlane.StartAsync();

        var answer = await plane.Client.GetAsync("/healthz");

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal("ok", answer.Json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Healthz_WhileKilled_Answers503KillSwitchEngaged()
    {
        await using var plane = await SidecarPlane.StartAsync();
        await plane.Ledger.KillAsync(null, CancellationToken.None);

        var answer = await plane.Client.GetAsync("/healthz");

        answer.AssertStatus(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("kill switch engaged", answer.Json.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Healthz_WhenNothingRemains_Answers503BudgetExhausted()
    {
        await using var plane = await SidecarPlane.StartAsync(limitCents: 10);
        await plane.Ledger.ReserveAsync(10, CancellationToken.None);

        var answer = await plane.Client.GetAsync("/healthz");

        answer.AssertStatus(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("budget exhausted", answer.Json.GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("/status", LedgerMode.Down)]
    [InlineData("/status", LedgerMode.TimingOut)]
    [InlineData("/healthz", LedgerMode.Down)]
    [InlineData("/healthz", LedgerMode.TimingOut)]
    public async Task StatusAndHealthz_WhenTheLedgerIsDownOrTimesOut_Answer503Problem(string path, LedgerMode mode)
    {
        await using var plane = await SidecarPlane.StartAsync();
        plane.Switch.Mode = mode;

        var answer = await plane.Client.GetAsync(path);

        answer.AssertLedgerUnavailable();
    }

    [Theory]
    [InlineData("/status")]
    [InlineData("/healthz")]
    public async Task StatusAndHealthz_AfterTheLedgerIsBack_Answer200Again(string path)
    {
        await using var plane = await SidecarPlane.StartAsync();
        plane.Switch.Mode = LedgerMode.Down;
        (await plane.Client.GetAsync(path)).AssertLedgerUnavailable();

        plane.Switch.Mode = LedgerMode.Up;

        (await plane.Client.GetAsync(path)).AssertStatus(HttpStatusCode.OK);
    }
}
