using BudgetRun.ControlPlane.Tests.Fakes;

namespace BudgetRun.ControlPlane.Tests.Infrastructure;

/// <summary><c>budget-run serve</c>'s plane over a <see cref="FakeAccountLedger"/>, composed as ServeHost composes it.</summary>
internal sealed class SidecarPlane : IAsyncDisposable
{
    public const string ControlToken = "sidecar-token-for-plane-tests";
    public const string BudgetKey = "queue-worker/openai";

    private SidecarPlane(FakeAccountLedger ledger, SidecarState state, PlaneHost host)
    {
        Ledger = ledger;
        State = state;
        Host = host;
    }

    public FakeAccountLedger Ledger { get; }

    public LedgerSwitch Switch => Ledger.Switch;

    public SidecarState State { get; }

    public PlaneHost Host { get; }

    public ControlPlaneClient Client => Host.Client;

    /// <summary>A sidecar for an account of <paramref name="limitCents"/>; with <paramref name="withToken"/> false, /v1/* needs no token.</summary>
    public static async Task<SidecarPlane> StartAsync(long limitCents = 100, bool withToken = true)
    {
        var ledger = new FakeAccountLedger(BudgetKey, limitCents, new LedgerSwitch());
        var metrics = new RunMetrics(PlaneHost.Workload, ledger, () => ledger.KillSwitch.Engaged);
        var token = withToken ? ControlToken : null;
        var state = new SidecarState(ledger, metrics, PlaneHost.Workload, token);
        var host = await PlaneHost.StartAsync(PlaneHost.Settings(token), app => SidecarEndpoints.Map(app, state));
        return new SidecarPlane(ledger, state, host);
    }

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
