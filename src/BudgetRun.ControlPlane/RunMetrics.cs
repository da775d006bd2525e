using System.Text.Json;
using BudgetRun.Engine;
using BudgetRun.Engine.Budget;
using Prometheus;

namespace BudgetRun.ControlPlane;

/// <summary>
/// The run's Prometheus metrics, in a registry of their own (no process or runtime metrics that
/// would muddle a dashboard). Events update counters as they happen; the budget and kill-switch
/// gauges are read from their source just before each scrape or push.
/// </summary>
internal sealed class RunMetrics : IRunObserver
{
    /// <summary>The <c>outcome</c> label of each attempt kind: its JSON name, so the label and the report never disagree.</summary>
    private static readonly Dictionary<AttemptKind, string> _outcomes = Enum.GetValues<AttemptKind>()
        .ToDictionary(kind => kind, kind => JsonSerializer.Serialize(kind, ControlJsonContext.Default.AttemptKind).Trim('"'));

    private readonly Counter _attempts;
    private readonly Counter _cost;
    private readonly Gauge _budget;
    private readonly Gauge _remaining;
    private readonly Histogram _duration;
    private readonly Gauge _backoff;
    private readonly Gauge _childRunning;
    private readonly Gauge _killSwitch;
    private readonly Gauge _lastExitCode;
    private readonly Counter _ledgerErrors;

    public RunMetrics(string workload, IBudgetLedger ledger, Func<bool> killSwitchEngaged)
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry)
            .WithLabels(new Dictionary<string, string> { [MetricNames.WorkloadLabel] = workload });
        _attempts = factory.CreateCounter(MetricNames.Attempts, "Attempts by how they ended.", [MetricNames.OutcomeLabel]);
        _cost = factory.CreateCounter(MetricNames.Cost, "Cents spent: the per-attempt cost plus the cost the child reported.");
        _budget = factory.CreateGauge(MetricNames.Budget, "The budget in cents.");
        _remaining = factory.CreateGauge(MetricNames.Remaining, "Cents left in the budget (reservations of running attempts count as spent).");
        _duration = factory.CreateHistogram(MetricNames.AttemptDuration, "How long attempts ran.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.01, 4, 10) });
        _backoff = factory.CreateGauge(MetricNames.Backoff, "The backoff delay being waited now (0 when none).");
        _childRunning = factory.CreateGauge(MetricNames.ChildRunning, "1 while a child runs.");
        _killSwitch = factory.CreateGauge(MetricNames.KillSwitch, "1 once the kill switch is engaged.");
        _lastExitCode = factory.CreateGauge(MetricNames.LastExitCode, "The exit code of the last attempt (128+N for signal N).");
        _ledgerErrors = factory.CreateCounter(MetricNames.LedgerErrors, "Failed reads and writes of the budget ledger.");

        // Publish every series from the start, so that rate() and absent() work from the first scrape.
        foreach (var outcome in _outcomes.Values)
        {
            _attempts.WithLabels(outcome);
        }
        Registry.AddBeforeCollectCallback(async cancel =>
        {
            // The run's own state first: it must show while the ledger cannot be read.
            _killSwitch.Set(killSwitchEngaged() ? 1 : 0);
            try
            {
                var snapshot = await ledger.SnapshotAsync(cancel).ConfigureAwait(false);
                _budget.Set(snapshot.BudgetCents);
                _remaining.Set(snapshot.RemainingCents);
            }
            catch (LedgerUnavailableException)
            {
                // The scrape (and push) goes on with the last known budget: failing it would mark the
                // target down and hide budget_run_ledger_errors_total, which counts this fault, while it
                // matters. Caught here, not left to prometheus-net, whose docs say a callback can fail a scrape.
            }
        });
    }

    public CollectorRegistry Registry { get; }

    /// <summary>Cost recorded outside an attempt: the child's <c>POST /cost</c>, or a sidecar settle.</summary>
    public void Spent(long cents) => _cost.Inc(cents);

    public void LedgerError() => _ledgerErrors.Inc();

    public void AttemptStarted(int number, int pid)
    {
        _childRunning.Set(1);
        _backoff.Set(0);
    }

    public void AttemptEnded(AttemptRecord attempt)
    {
        _childRunning.Set(0);
        _attempts.WithLabels(_outcomes[attempt.Kind]).Inc();
        _cost.Inc(attempt.CostCents);
        _duration.Observe(attempt.Duration.TotalSeconds);
        _lastExitCode.Set(attempt.Code);
    }

    public void BackingOff(TimeSpan delay, DateTimeOffset nextAttemptAt) => _backoff.Set(delay.TotalSeconds);

    public void PhaseChanged(RunPhase phase)
    {
        if (phase is RunPhase.Running or RunPhase.Finished)
        {
            _backoff.Set(0);
        }
    }
}
