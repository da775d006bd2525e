namespace BudgetRun.Engine;

/// <summary>
/// What one supervised run may do. Built and validated by the CLI (flags win over environment
/// variables); the engine trusts these values.
/// </summary>
public sealed record SupervisorOptions
{
    /// <summary>The defaults, written once: the help text and the binder read them from here.</summary>
    public static readonly SupervisorOptions Defaults = new() { Command = [] };

    /// <summary>The command and its arguments; the first element is resolved on PATH.</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>Attempts in all (>= 1).</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>The budget in whole cents (>= 0).</summary>
    public long MaxCostCents { get; init; } = 200;

    /// <summary>Cost reserved before, and charged for, every attempt (>= 0).</summary>
    public long CostPerAttemptCents { get; init; }

    /// <summary>
    /// The metered rate: cents per minute of an attempt's wall time, on top of <see cref="CostPerAttemptCents"/>
    /// (0: not metered). Decimals allowed; the ledger holds whole cents.
    /// </summary>
    public decimal CostPerMinuteCents { get; init; }

    /// <summary>
    /// The rate of <c>--cost-per-cpu-second-cents</c>: cents per CPU second the attempt's cgroup
    /// counts, on top of <see cref="CostPerAttemptCents"/> (0: not metered by CPU). Needs a cgroup per attempt.
    /// </summary>
    public decimal CostPerCpuSecondCents { get; init; }

    /// <summary>The most CPUs an attempt can use at once: a CPU-metered slice reserves its wall time on all of them.</summary>
    public int MeterCpus { get; init; } = CpuCount.Online();

    /// <summary>How much runtime one reservation of a metered attempt pays for.</summary>
    public TimeSpan MeterSlice { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>First backoff delay: failed attempt n waits min(base * 2^(n-1), max).</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How delays are randomised (none, Polly's decorrelated jitter, full jitter), still capped by <see cref="MaxDelay"/>.</summary>
    public Retry.JitterKind Jitter { get; init; }

    public TimeSpan? AttemptTimeout { get; init; }

    /// <summary>Overall limit for the run, backoff waits included.</summary>
    public TimeSpan? Deadline { get; init; }

    /// <summary>Only these exit codes are retried; null means any non-zero code.</summary>
    public IReadOnlySet<int>? RetryOn { get; init; }

    /// <summary>These exit codes end the run at once.</summary>
    public IReadOnlySet<int> NoRetryOn { get; init; } = new HashSet<int>();

    /// <summary>Time between the polite signal and SIGKILL to the whole tree.</summary>
    public TimeSpan KillGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether each attempt runs in a cgroup v2 of its own (contained and killed by the kernel, its CPU time measured).</summary>
    public Processes.CgroupMode Cgroup { get; init; }

    /// <summary>What each attempt's cgroup is limited to (<c>--memory-max</c>, <c>--cpu-max</c>); setting one needs a cgroup.</summary>
    public Processes.AttemptLimits Limits { get; init; } = Processes.AttemptLimits.None;

    /// <summary>The health probe of each attempt; null: none.</summary>
    public HealthCheck? Health { get; init; }

    /// <summary>The output predicates and the report's output tail; null: budget-run is not in the path of the child's output.</summary>
    public Retry.OutputRules? Output { get; init; }

    /// <summary>An attempt that ran at least this long was healthy: backoff and the attempt count start over.</summary>
    public TimeSpan? ResetAfter { get; init; }

    /// <summary>This run's id: in every attempt's <c>BUDGET_RUN_RUN_ID</c>, the ledger's reservations and the report.</summary>
    public string RunId { get; init; } = "";

    /// <summary>Extra environment variables for the child (on top of budget-run's own environment).</summary>
    public IReadOnlyDictionary<string, string> ExtraEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>budget-run's own secrets and settings the child must not inherit (the control token...).</summary>
    public IReadOnlySet<string> HiddenEnvironment { get; init; } = new HashSet<string>();

    /// <summary>
    /// The rules between options, checked once at start. None of these combinations is unsafe, so
    /// each is a warning that says what will happen rather than an error.
    /// </summary>
    public IReadOnlyList<string> CrossFieldWarnings()
    {
        var warnings = new List<string>();
        if (BaseDelay > MaxDelay)
        {
            warnings.Add($"--base-delay {Durations.Format(BaseDelay)} is longer than --max-delay {Durations.Format(MaxDelay)}: every backoff wait is {Durations.Format(MaxDelay)}");
        }
        if (AttemptTimeout is { } timeout && Deadline is { } deadline && timeout >= deadline)
        {
            warnings.Add($"--attempt-timeout {Durations.Format(timeout)} is not shorter than --deadline {Durations.Format(deadline)}: the deadline ends the attempt first (exit 124)");
        }
        if (ResetAfter is { } reset && AttemptTimeout is { } limit && reset > limit)
        {
            warnings.Add($"--reset-after {Durations.Format(reset)} is longer than --attempt-timeout {Durations.Format(limit)}: no attempt can run long enough to start the count over");
        }
        if ((CostPerMinuteCents > 0 || CostPerCpuSecondCents > 0) && KillGrace >= MeterSlice)
        {
            warnings.Add($"--kill-grace {Durations.Format(KillGrace)} is not shorter than --meter-slice {Durations.Format(MeterSlice)}: a metered attempt holds {(int)(KillGrace / MeterSlice) + 1} slices ahead, so that a refused one still ends it within what was paid");
        }
        return warnings;
    }
}
