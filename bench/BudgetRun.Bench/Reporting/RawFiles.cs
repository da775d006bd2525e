namespace BudgetRun.Bench.Reporting;

/// <summary>
/// The files bench/run.sh leaves in its raw directory, and the step names it records failures
/// under (errors.tsv: "step TAB message"). These names are the contract between the script and
/// the report; run.sh uses the same literals.
/// </summary>
internal static class RawFiles
{
    /// <summary>hyperfine --export-json, one file per round (overhead-1.json, ...); commands named true, budget-run, budget-run --version, budget-run (hosted), tini, dumb-init, aot hello, budget-run (framework-dependent), seed (optional).</summary>
    public const string OverheadPrefix = "overhead";

    /// <summary>"case TAB KiB" per run; cases budget-run, budget-run --listen, tini, dumb-init, aot hello, seed (optional).</summary>
    public const string Rss = "rss.tsv";

    /// <summary>hyperfine --export-json, one file per round (throughput-1.json, ...); commands named pipe, budget-run pipe, budget-run tapped, pipe with a cat hop.</summary>
    public const string ThroughputPrefix = "throughput";

    /// <summary>Written by the kill-switch verb.</summary>
    public const string KillSwitch = "killswitch.json";

    /// <summary>wrk --latency output, one file per round: wrk-metrics-1.txt, wrk-healthz-1.txt, ...</summary>
    public const string WrkMetricsPrefix = "wrk-metrics";
    public const string WrkHealthzPrefix = "wrk-healthz";

    /// <summary>Written by the reserve verb, one per ledger kind and key depth: reservations-sqlite-1.json, reservations-redis-3.json, ...</summary>
    public const string ReservationsPattern = "reservations-{0}-{1}.json";

    /// <summary>redis-benchmark --csv of the Reserve script replayed with EVALSHA, per key depth: redis-reserve-1.csv, redis-reserve-3.csv.</summary>
    public const string RedisReservePattern = "redis-reserve-{0}.csv";

    /// <summary>pgbench's summary per key depth (pgbench-1.txt, with its "tps = N" line) and its per-transaction logs (pgbench-1.PID, pgbench-1.PID.THREAD).</summary>
    public const string PgbenchPrefix = "pgbench-{0}";

    /// <summary>Why the ledgers were not measured, when run.sh skipped them on purpose.</summary>
    public const string ReservationsSkipped = "reservations.skipped";

    /// <summary>"attempts TAB KiB" per run of a failing child.</summary>
    public const string Memory = "memory.tsv";

    /// <summary>
    /// "step TAB message" for each measurement that failed to run; the ledgers are recorded one by
    /// one, as reservations-KIND-LEVELS (reservations-redis-3), their baselines as
    /// reservations-KIND-LEVELS-baseline, a PostgreSQL server that did not start as reservations-postgres.
    /// </summary>
    public const string Errors = "errors.tsv";

    /// <summary>"step TAB reason" for each step left out on purpose (BENCH_STEPS): its rows say so and fail nothing.</summary>
    public const string Skipped = "skipped.tsv";

    public const string OverheadStep = "overhead";
    public const string RssStep = "rss";
    public const string ThroughputStep = "throughput";
    public const string KillSwitchStep = "killswitch";
    public const string MetricsStep = "metrics";
    public const string ReservationsStep = "reservations";
    public const string MemoryStep = "memory";
}
