namespace BudgetRun.Bench.Reporting;

/// <summary>
/// The files bench/run.sh leaves in its raw directory, and the step names it records failures
/// under (errors.tsv: "step TAB message"). These names are the contract between the script and
/// the report; run.sh uses the same literals.
/// </summary>
internal static class RawFiles
{
    /// <summary>hyperfine --export-json, one file per round (overhead-1.json, ...); commands named true, budget-run, budget-run (hosted), tini, dumb-init, budget-run (framework-dependent), seed (optional).</summary>
    public const string OverheadPrefix = "overhead";

    /// <summary>"case TAB KiB" per run; cases budget-run, budget-run --listen, seed.</summary>
    public const string Rss = "rss.tsv";

    /// <summary>hyperfine --export-json, one file per round (throughput-1.json, ...); commands named pipe, budget-run pipe.</summary>
    public const string ThroughputPrefix = "throughput";

    /// <summary>Written by the kill-switch verb.</summary>
    public const string KillSwitch = "killswitch.json";

    /// <summary>wrk --latency output, one file per round: wrk-metrics-1.txt, wrk-healthz-1.txt, ...</summary>
    public const string WrkMetricsPrefix = "wrk-metrics";
    public const string WrkHealthzPrefix = "wrk-healthz";

    /// <summary>redis-benchmark -t set --csv.</summary>
    public const string RedisBenchmark = "redis-benchmark.csv";

    /// <summary>Written by the reserve verb, one per ledger kind: reservations-sqlite.json, reservations-redis.json.</summary>
    public const string ReservationsPattern = "reservations-{0}.json";

    /// <summary>Why the ledgers were not measured, when run.sh skipped them on purpose.</summary>
    public const string ReservationsSkipped = "reservations.skipped";

    /// <summary>"attempts TAB KiB" per run of a failing child.</summary>
    public const string Memory = "memory.tsv";

    /// <summary>
    /// "step TAB message" for each measurement that failed to run; the ledgers are recorded one by
    /// one, as reservations-sqlite and reservations-redis.
    /// </summary>
    public const string Errors = "errors.tsv";

    public const string OverheadStep = "overhead";
    public const string RssStep = "rss";
    public const string ThroughputStep = "throughput";
    public const string KillSwitchStep = "killswitch";
    public const string MetricsStep = "metrics";
    public const string ReservationsStep = "reservations";
    public const string MemoryStep = "memory";
}
