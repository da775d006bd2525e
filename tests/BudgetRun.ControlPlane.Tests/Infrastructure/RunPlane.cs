using BudgetRun.ControlPlane.Tests.Fakes;
using BudgetRun.Engine;
using BudgetRun.Engine.Budget;

namespace BudgetRun.ControlPlane.Tests.Infrastructure;

/// <summary>
/// A run's control plane over a fake ledger, with the engine side composed as RunHost composes it
/// (RunControl, RunBudget, RunStatusTracker, RunMetrics on a fresh registry). With a budget key the
/// ledger is a <see cref="FakeAccountLedger"/> that is also the plane's account.
/// </summary>
internal sealed class RunPlane : IAsyncDisposable
{
    public const string ControlToken = "control-token-for-plane-tests";
    public const string BudgetKey = "nightly-batch";
    public const int MaxAttempts = 3;

    private RunPlane(LedgerSwitch @switch, IBudgetLedger ledger, FakeAccountLedger? account, RunControl control, RunBudget budget,
        ControlPlaneState state, PlaneHost host)
    {
        Switch = @switch;
        Ledger = ledger;
        Account = account;
        Control = control;
        Budget = budget;
        State = state;
        Host = host;
    }

    public LedgerSwitch Switch { get; }

    public IBudgetLedger Ledger { get; }

    public FakeAccountLedger? Account { get; }

    public RunControl Control { get; }

    public RunBudget Budget { get; }

    public ControlPlaneState State { get; }

    public PlaneHost Host { get; }

    public ControlPlaneClient Client => Host.Client;

    /// <summary>A run with a budget of <paramref name="budgetCents"/> whose attempts cost <paramref name="attemptCents"/>, in its first attempt's place.</summary>
    public static async Task<RunPlane> StartAsync(long budgetCents = 1000, long attemptCents = 100, bool withBudgetKey = false)
    {
        var @switch = new LedgerSwitch();
        var account = withBudgetKey ? new FakeAccountLedger(BudgetKey, budgetCents, @switch) : null;
        IBudgetLedger ledger = (IBudgetLedger?)account ?? new FakeBudgetLedger(budgetCents, @switch);
        var control = new RunControl();
        var budget = new RunBudget(ledger, new PerAttemptCost(attemptCents), control);
        var metrics = new RunMetrics(PlaneHost.Workload, ledger, () => control.Reason == StopReason.KillSwitch);
        var settings = PlaneHost.Settings(ControlToken);
        var state = new ControlPlaneState(settings, MaxAttempts, control, budget, new RunStatusTracker(), metrics, account);
        var host = await PlaneHost.StartAsync(settings, app => ControlEndpoints.Map(app, state));
        return new RunPlane(@switch, ledger, account, control, budget, state, host);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Control.Dispose();
    }
}
