using BudgetRun.Engine.Budget;
using Microsoft.Extensions.Logging.Abstractions;

namespace BudgetRun.Engine.Tests.Fakes;

/// <summary>
/// A supervisor wired to fakes: scripted children, an in-memory budget and a fake clock that only
/// moves when the test moves it.
/// </summary>
internal sealed class SupervisorHarness : IDisposable
{
    public SupervisorHarness(SupervisorOptions options, params ChildScript[] scripts)
        : this(options, new InMemoryBudgetLedger(options.MaxCostCents), scripts)
    {
    }

    public SupervisorHarness(SupervisorOptions options, IBudgetLedger ledger, params ChildScript[] scripts)
        : this(options, ledger, new PerAttemptCost(options.CostPerAttemptCents), scripts)
    {
    }

    public SupervisorHarness(SupervisorOptions options, IBudgetLedger ledger, ICostModel cost, params ChildScript[] scripts)
    {
        Options = options;
        Launcher = new FakeChildLauncher(Clock, scripts);
        Ledger = ledger;
        Budget = new RunBudget(ledger, cost, Control);
        Supervisor = new Supervisor(options, Launcher, Budget, Control, Clock, NullLogger<Supervisor>.Instance, Observer);
    }

    public SupervisorOptions Options { get; }

    public TestClock Clock { get; } = new();

    public FakeChildLauncher Launcher { get; }

    public IBudgetLedger Ledger { get; }

    public RunBudget Budget { get; }

    public RunControl Control { get; } = new();

    public RecordingObserver Observer { get; } = new();

    public Supervisor Supervisor { get; }

    /// <summary>Options for a command "job" with the contract's defaults unless overridden.</summary>
    public static SupervisorOptions Defaults() => new() { Command = ["job"] };

    /// <summary>Real time the run may take after the last clock move; fake time does not pass here.</summary>
    public static async Task<RunResult> FinishAsync(Task<RunResult> run) => await run.WaitAsync(Eventually.Limit);

    /// <summary>Runs to the end without ever moving the clock.</summary>
    public async Task<RunResult> RunWithoutTimePassingAsync()
    {
        var before = Clock.GetUtcNow();
        var result = await FinishAsync(Supervisor.RunAsync());
        Assert.Equal(before, Clock.GetUtcNow());
        return result;
    }

    public Task WaitForStartsAsync(int starts) =>
        Eventually.HoldsAsync(() => Launcher.Starts >= starts, $"{starts} attempt(s) started (so far {Launcher.Starts})");

    /// <summary>Waits until the supervisor has armed a timer of <paramref name="delay"/> at the current instant.</summary>
    public Task WaitForTimerAsync(TimeSpan delay) =>
        Eventually.HoldsAsync(() => Clock.HasTimerCreatedNow(delay), $"a {delay} timer was armed at {Clock.GetUtcNow():O}");

    /// <summary>Waits until the supervisor has armed a timer of <paramref name="delay"/>, then moves the clock by that much, so that it fires.</summary>
    public async Task PassTimerAsync(TimeSpan delay)
    {
        await WaitForTimerAsync(delay);
        Clock.Advance(delay);
    }

    public FakeChildProcess Child(int attempt) => Launcher.Children[attempt - 1];

    public async Task<FakeChildProcess> WaitForChildAsync(int attempt)
    {
        await Eventually.HoldsAsync(() => Launcher.Children.Count >= attempt, $"child of attempt {attempt} started");
        return Child(attempt);
    }

    public void Dispose() => Control.Dispose();
}
