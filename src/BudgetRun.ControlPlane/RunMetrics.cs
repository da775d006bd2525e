using System.Text.Json;
using BudgetRun.Engine;
using BudgetRun.Engine.Budget;
using BudgetRun.Ledgers;
using Prometheus;

namespace BudgetRun.ControlPlane;

/// <summary>
/// The run's Prometheus metrics, in a registry of their own (no process or runtime metrics that
/// would muddle a dashboard). Events update counters as they happen; the budget and kill-switch
/// gauges are read from their source just before each scrape or push. With a ledger account, the
/// <c>budget_run_account_*</c> gauges carry one series per level of its path that has terms,
/// labelled <c>budget_key</c> (bounded: one key per process, at most <see cref="AccountPath.MaxLevels"/> levels).
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
    private readonly Gauge _lastSuccess;
    private readonly Gauge _budgetWarning;
    private readonly Counter _childCpu;
    private readonly Gauge _costSoFar;
    private readonly Gauge _meterRate;
    private readonly Gauge _nextSlice;
    private AttemptMeter? _meter;
    private readonly Gauge _accountBudget;
    private readonly Gauge _accountSpent;
    private readonly Gauge _accountReserved;
    private readonly Gauge _accountRemaining;
    private readonly Gauge _accountKillSwitch;

    /// <summary>The levels published at the last scrape, so that a level that lost its terms loses its series.</summary>
    private HashSet<string> _levels = new(StringComparer.Ordinal);

    /// <param name="workload">The <c>workload</c> label of every series.</param>
    /// <param name="ledger">The budget the run (or sidecar) spends: the run's cap within the account, or the per-run budget.</param>
    /// <param name="killSwitchEngaged">Whether this process has been stopped by a kill switch.</param>
    /// <param name="account">The ledger account and its levels, for the <c>budget_key</c> gauges; null for a per-run budget.</param>
    public RunMetrics(string workload, IBudgetLedger ledger, Func<bool> killSwitchEngaged, IAccountLedger? account = null)
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
        // No series until an attempt succeeds: a run that never succeeded must not claim one at the
        // epoch, and its final push must leave a previous run's success in the Pushgateway alone.
        _lastSuccess = factory.CreateGauge(MetricNames.LastSuccess, "When an attempt last succeeded (Unix seconds); absent until one does.",
            new GaugeConfiguration { SuppressInitialValue = true });
        _budgetWarning = factory.CreateGauge(MetricNames.BudgetWarning, "1 once the run's spend has reached --warn-at-percent of its budget.");
        _childCpu = factory.CreateCounter(MetricNames.ChildCpu, "CPU seconds the attempts used, as their cgroups counted them (escaped processes included); stays 0 without cgroups.");
        _costSoFar = factory.CreateGauge(MetricNames.AttemptCostSoFar, "What the running metered attempt would be charged if it ended now (0 when none runs).");
        _meterRate = factory.CreateGauge(MetricNames.MeterRate, "The meter's rate: cents a second of wall time (basis wall) or of CPU time (basis cpu); present while a metered attempt runs.",
            [MetricNames.BasisLabel], new GaugeConfiguration { SuppressInitialValue = true });
        _nextSlice = factory.CreateGauge(MetricNames.MeterNextSlice, "When the meter reserves the running attempt's next slice (Unix seconds); present while a metered attempt runs.",
            new GaugeConfiguration { SuppressInitialValue = true });
        string[] level = [MetricNames.BudgetKeyLabel];
        _accountBudget = factory.CreateGauge(MetricNames.AccountBudget, "The limit of each level of the account path that has one, for its current window.", level);
        _accountSpent = factory.CreateGauge(MetricNames.AccountSpent, "Cents spent by the whole fleet in each level's current window.", level);
        _accountReserved = factory.CreateGauge(MetricNames.AccountReserved, "Cents held by the fleet's unsettled reservations on each level.", level);
        _accountRemaining = factory.CreateGauge(MetricNames.AccountRemaining, "Cents each level may still reserve (never negative).", level);
        _accountKillSwitch = factory.CreateGauge(MetricNames.AccountKillSwitch, "1 while the kill switch of the level, or of a level above it, is engaged.", level);

        // Publish every series from the start, so that rate() and absent() work from the first scrape.
        foreach (var outcome in _outcomes.Values)
        {
            _attempts.WithLabels(outcome);
        }
        Registry.AddBeforeCollectCallback(async cancel =>
        {
            // The run's own state first: it must show while the ledger cannot be read.
            _killSwitch.Set(killSwitchEngaged() ? 1 : 0);
            PublishMeter(Volatile.Read(ref _meter)?.Read());
            try
            {
                var snapshot = await ledger.SnapshotAsync(cancel).ConfigureAwait(false);
                _budget.Set(snapshot.BudgetCents);
                _remaining.Set(snapshot.RemainingCents);
                if (account is not null)
                {
                    Publish(await account.StatusAsync(cancel).ConfigureAwait(false));
                }
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

    /// <summary>One series per level with terms, root first; levels without a limit show spent, reserved and the kill switch only.</summary>
    private void Publish(AccountStatus status)
    {
        var levels = new HashSet<string>(StringComparer.Ordinal);
        foreach (var level in (status.Levels ?? []).Append(status))
        {
            var key = level.BudgetKey;
            levels.Add(key);
            _accountSpent.WithLabels(key).Set(level.SpentCents);
            _accountReserved.WithLabels(key).Set(level.ReservedCents);
            _accountKillSwitch.WithLabels(key).Set(level.KillSwitch ? 1 : 0);
            if (level.BudgetCents is { } limit)
            {
                _accountBudget.WithLabels(key).Set(limit);
                _accountRemaining.WithLabels(key).Set(level.RemainingCents ?? 0);
            }
            else
            {
                _accountBudget.RemoveLabelled(key);
                _accountRemaining.RemoveLabelled(key);
            }
        }
        foreach (var gone in _levels.Where(key => !levels.Contains(key)))
        {
            foreach (var gauge in new[] { _accountBudget, _accountSpent, _accountReserved, _accountRemaining, _accountKillSwitch })
            {
                gauge.RemoveLabelled(gone);
            }
        }
        _levels = levels;
    }

    public void Metering(AttemptMeter? meter) => Volatile.Write(ref _meter, meter);

    /// <summary>The running metered attempt's gauges, or none (cost so far 0) when no metered attempt runs.</summary>
    private void PublishMeter(MeterReading? reading)
    {
        if (reading is null)
        {
            _costSoFar.Set(0);
            foreach (var basis in new[] { "wall", "cpu" })
            {
                _meterRate.RemoveLabelled(basis);
            }
            _nextSlice.Unpublish();
            return;
        }
        _costSoFar.Set(reading.CostSoFarCents);
        _meterRate.WithLabels(reading.Basis).Set((double)reading.CentsPerSecond);
        if (reading.NextSliceAt is { } next)
        {
            _nextSlice.Set(next.ToUnixTimeMilliseconds() / 1000.0);
        }
        else
        {
            _nextSlice.Unpublish();
        }
    }

    /// <summary>Cost recorded outside an attempt: the child's <c>POST /cost</c>, or a sidecar settle.</summary>
    public void Spent(long cents) => _cost.Inc(cents);

    public void LedgerError() => _ledgerErrors.Inc();

    /// <summary>The run's spend has reached <c>--warn-at-percent</c> of its budget.</summary>
    public void BudgetWarningCrossed() => _budgetWarning.Set(1);

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
        if (attempt.Usage is { } usage)
        {
            _childCpu.Inc(usage.CpuSeconds);
        }
        if (attempt.Kind == AttemptKind.Success)
        {
            _lastSuccess.Set((attempt.StartedAt + attempt.Duration).ToUnixTimeMilliseconds() / 1000.0);
        }
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
