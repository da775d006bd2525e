using System.Globalization;
using System.Text.Json;

namespace BudgetRun.Bench.Reporting;

/// <summary>
/// Turns bench/run.sh's raw directory into the rows of the table, one step (a group of rows) at a
/// time. A step that run.sh recorded as failed, or whose files cannot be read, gives rows marked
/// not measured and sets <see cref="Crashed"/>; a step skipped on purpose does not.
/// </summary>
internal sealed class FigureBuilder
{
    private const double KiBPerMiB = 1024;

    private static readonly RowSpec OverheadRow = new("overhead", "overhead of `budget-run -- true`", $"<= {Targets.OverheadMsMax} ms and <= {Targets.OverheadTiniRatioMax}x tini's");
    private static readonly RowSpec OverheadDumbInitRow = new("overhead-dumb-init", "overhead of `budget-run -- true` vs dumb-init", "info");
    private static readonly RowSpec OverheadHelloRow = new("overhead-hello", "overhead of `budget-run -- true` vs an AOT hello world", "info");
    private static readonly RowSpec OverheadVersionRow = new("overhead-version", "overhead of `budget-run --version`", "info");
    private static readonly RowSpec OverheadSeedRow = new("overhead-seed", "overhead of `budget-run -- true` vs the seed", $"<= {Targets.OverheadRatioMax}x");
    private static readonly RowSpec HostRow = new("host", "start-up cost of the host (push-only run)", "info: a plain run builds none");
    private static readonly RowSpec HandOverRow = new("handover", "hand-over to budget-run-net (push-only run)", "info");
    private static readonly RowSpec OverheadFdRow = new("overhead-fd", "overhead, framework-dependent build", "info");
    private static readonly RowSpec RssRow = new("rss", "peak RSS of `budget-run -- true`", $"<= {Targets.RssMiBMax} MiB");
    private static readonly RowSpec RssHelloRow = new("rss-hello", "peak RSS of `budget-run -- true` vs an AOT hello world", "info");
    private static readonly RowSpec RssListenRow = new("rss-listen", "peak RSS with `--listen 127.0.0.1:0`", $"<= {Targets.RssWithListenMiBMax} MiB");
    private static readonly RowSpec ThroughputRow = new("throughput", "1 GiB through stdout", $">= {Targets.ThroughputRatioMin}x");
    private static readonly RowSpec TappedThroughputRow = new("throughput-tapped", "1 GiB through stdout with `--retry-if-output`", $">= {Targets.TappedThroughputRatioMin}x");
    private static readonly RowSpec HopThroughputRow = new("throughput-hop", "1 GiB through a pipe with one more `cat` hop", "info: the floor of any copier in the path");
    private static readonly RowSpec KillMedianRow = new("kill-median", "POST /kill to child's death, median", $"<= {Targets.KillMedianMsMax} ms");
    private static readonly RowSpec KillP99Row = new("kill-p99", "POST /kill to child's death, p99", "info");
    private static readonly RowSpec MetricsRpsRow = new("metrics-rps", "GET /metrics throughput", $">= {Targets.MetricsRequestsPerSecondMin:N0} req/s");
    private static readonly RowSpec MetricsP99Row = new("metrics-p99", "GET /metrics p99 latency", $"< {Targets.MetricsP99MsMax} ms");
    private static readonly (string Kind, string Name)[] Stores = [("sqlite", "SQLite"), ("redis", "Redis"), ("postgres", "PostgreSQL")];
    private static readonly int[] Depths = [1, 3];
    private static readonly RowSpec MemoryRow = new("memory", "peak RSS after many failing attempts", $"growth <= {Targets.MemoryGrowthMiBMax} MiB");

    private readonly string _raw;
    private readonly Dictionary<string, string> _errors;
    private readonly Dictionary<string, string> _skipped;

    public FigureBuilder(string rawDirectory)
    {
        _raw = rawDirectory;
        _errors = ReadErrors(Path.Combine(rawDirectory, RawFiles.Errors));
        _skipped = ReadErrors(Path.Combine(rawDirectory, RawFiles.Skipped));
    }

    /// <summary>True when a measurement failed to run (as opposed to missing its target).</summary>
    public bool Crashed { get; private set; }

    public List<Figure> Build() =>
    [
        .. Step(RawFiles.OverheadStep, [OverheadRow, OverheadDumbInitRow, OverheadHelloRow, OverheadVersionRow, OverheadSeedRow, HostRow, HandOverRow, OverheadFdRow], Overhead),
        .. Step(RawFiles.RssStep, [RssRow, RssHelloRow, RssListenRow], Rss),
        .. Step(RawFiles.ThroughputStep, [ThroughputRow, TappedThroughputRow, HopThroughputRow], Throughput),
        .. Step(RawFiles.KillSwitchStep, [KillMedianRow, KillP99Row], KillSwitch),
        .. Step(RawFiles.MetricsStep, [MetricsRpsRow, MetricsP99Row], Metrics),
        .. Step(RawFiles.ReservationsStep, [.. Depths.SelectMany(levels => Stores.SelectMany(store => ReservationRows(store.Kind, store.Name, levels)))], Reservations),
        .. Step(RawFiles.MemoryStep, [MemoryRow], Memory),
    ];

    private IEnumerable<Figure> Step(string step, RowSpec[] rows, Func<IEnumerable<Figure>> measure)
    {
        if (_skipped.TryGetValue(step, out var skipped))
        {
            return rows.Select(row => Figure.NotMeasured(row.Id, row.Name, skipped, row.Target));
        }
        string? failure = null;
        if (_errors.TryGetValue(step, out var error))
        {
            failure = $"error: {error}";
        }
        else
        {
            try
            {
                return [.. measure()];
            }
            catch (Exception ex) when (ex is BenchException or IOException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                failure = $"error reading results: {ex.Message}";
            }
        }
        Crashed = true;
        return rows.Select(row => Figure.NotMeasured(row.Id, row.Name, failure, row.Target));
    }

    private IEnumerable<Figure> Overhead()
    {
        var export = HyperfineExport.Read(_raw, RawFiles.OverheadPrefix);
        var bare = export.MeanMs("true");
        var ours = export.MeanMs("budget-run") - bare;
        var tini = export.MeanMs("tini") - bare;
        double? seed = export.Has("seed") ? export.MeanMs("seed") - bare : null;
        var note = $"mean wall time minus bare `true` ({bare:0.00} ms), hyperfine -N, {export.Runs("budget-run")} runs each in rounds";
        var met = ours <= Targets.OverheadMsMax && ours <= Targets.OverheadTiniRatioMax * tini
            && (seed is null || ours / seed <= Targets.OverheadRatioMax);
        yield return Make(OverheadRow, ours, tini, "tini -s", "ms", met ? Verdict.Met : Verdict.Missed, note);
        yield return Make(OverheadDumbInitRow, ours, export.MeanMs("dumb-init") - bare, "dumb-init", "ms", Verdict.Info, "the same runs");
        var hello = export.MeanMs("aot hello") - bare;
        yield return Make(OverheadHelloRow, ours, hello, "aot hello", "ms", Verdict.Info,
            "bench/HelloAot (`return 0`, Native AOT): the .NET runtime's own start-up, the same runs");
        yield return Make(OverheadVersionRow, export.MeanMs("budget-run --version") - bare, hello, "aot hello", "ms", Verdict.Info,
            "start-up and exit without a run: what the binary's size costs before Main (see README, Benchmarks)");
        if (seed is { } seedMs)
        {
            yield return Make(OverheadSeedRow, ours, seedMs, "seed", "ms", ours / seedMs <= Targets.OverheadRatioMax ? Verdict.Met : Verdict.Missed,
                "node incident-budget-runner.mjs (BUDGET_RUN_SEED or ../shared/seed)");
        }
        var hosted = export.MeanMs("budget-run (hosted)") - bare;
        yield return Make(HostRow, hosted - ours, ours, "plain run", "ms", Verdict.Info,
            "`--pushgateway URL --push-interval 1h -- true` minus `-- true`: the hand-over to budget-run-net, the generic host and its push; `budget-run -- true` builds no host");
        if (export.Has("budget-run-net (hosted)"))
        {
            var direct = export.MeanMs("budget-run-net (hosted)") - bare;
            yield return Make(HandOverRow, hosted - direct, direct, "budget-run-net", "ms", Verdict.Info,
                "the push-only run started as budget-run minus the same run started as budget-run-net: the lean binary's start-up and execve (README, Two binaries)");
        }
        if (export.Has("budget-run (framework-dependent)"))
        {
            var fd = export.MeanMs("budget-run (framework-dependent)") - bare;
            yield return Make(OverheadFdRow, fd, ours, "Native AOT", "ms", Verdict.Info,
                $"bin/Release/net10.0/budget-run (JIT start-up), {export.Runs("budget-run (framework-dependent)")} runs, for information");
        }
    }

    private IEnumerable<Figure> Rss()
    {
        var runs = RawTsv.Read(RawPath(RawFiles.Rss));
        var tini = runs.Values("tini", RawFiles.Rss).Max() / KiBPerMiB;
        var hello = runs.Values("aot hello", RawFiles.Rss).Max() / KiBPerMiB;
        var plain = runs.Values("budget-run", RawFiles.Rss);
        var listen = runs.Values("budget-run --listen", RawFiles.Rss).Max() / KiBPerMiB;
        var note = $"max of {plain.Count} runs, /usr/bin/time %M";
        var ours = plain.Max() / KiBPerMiB;
        yield return Make(RssRow, ours, tini, "tini -s", "MiB", ours <= Targets.RssMiBMax ? Verdict.Met : Verdict.Missed, note);
        yield return Make(RssHelloRow, ours, hello, "aot hello", "MiB", Verdict.Info, $"{note}; bench/HelloAot, the runtime's own");
        yield return Make(RssListenRow, listen, ours, "plain run", "MiB", listen <= Targets.RssWithListenMiBMax ? Verdict.Met : Verdict.Missed, note);
    }

    private IEnumerable<Figure> Throughput()
    {
        var export = HyperfineExport.Read(_raw, RawFiles.ThroughputPrefix);
        var bare = 1 / export.MeanSeconds("pipe");
        var ours = 1 / export.MeanSeconds("budget-run pipe");
        var note = $"`head -c 1G /dev/zero | cat >/dev/null`, GiB per mean wall second, {export.Runs("pipe")} runs each in rounds";
        yield return Make(ThroughputRow, ours, bare, "bare pipe", "GiB/s", ours / bare >= Targets.ThroughputRatioMin ? Verdict.Met : Verdict.Missed, note);
        var tapped = 1 / export.MeanSeconds("budget-run tapped");
        yield return Make(TappedThroughputRow, tapped, bare, "bare pipe", "GiB/s", tapped / bare >= Targets.TappedThroughputRatioMin ? Verdict.Met : Verdict.Missed,
            "`--match-stream stdout --retry-if-output x`: budget-run copies the child's stdout (tee and splice)");
        var hop = 1 / export.MeanSeconds("pipe with a cat hop");
        yield return Make(HopThroughputRow, hop, bare, "bare pipe", "GiB/s", Verdict.Info,
            string.Create(CultureInfo.InvariantCulture, $"`head -c 1G /dev/zero | cat | cat >/dev/null`; budget-run tapped is {tapped / hop:0.00}x of it"));
    }

    private IEnumerable<Figure> KillSwitch()
    {
        var samples = JsonSerializer.Deserialize(File.ReadAllText(RawPath(RawFiles.KillSwitch)), BenchJsonContext.Default.KillSwitchSamples)
            ?? throw new BenchException($"{RawFiles.KillSwitch} is empty");
        var median = Statistics.Median([.. samples.KillMs]);
        var note = $"{samples.Runs} runs; baseline: `sleep` SIGTERMed by the bench, pidfd-timed like the child";
        yield return Make(KillMedianRow, median, Statistics.Median([.. samples.SigtermMs]), "SIGTERM", "ms",
            median <= Targets.KillMedianMsMax ? Verdict.Met : Verdict.Missed, note);
        yield return Make(KillP99Row, Statistics.Percentile([.. samples.KillMs], 99), Statistics.Percentile([.. samples.SigtermMs], 99), "SIGTERM", "ms",
            Verdict.Info, "nearest-rank p99");
    }

    /// <summary>
    /// wrk runs in alternating rounds (/metrics, /healthz, /metrics, ...). Requests/s pools every
    /// round; p99 is the median of the rounds' p99s, so that one stall caused by another tenant of
    /// the machine does not decide the figure (the worst round is in the note).
    /// </summary>
    private IEnumerable<Figure> Metrics()
    {
        var metrics = ReadWrkRounds(RawFiles.WrkMetricsPrefix);
        var healthz = ReadWrkRounds(RawFiles.WrkHealthzPrefix);
        var non2xx = metrics.Sum(round => round.Non2xx);
        var socketErrors = string.Join("; ", metrics.Select(round => round.SocketErrors).Where(text => text.Length > 0));
        var errors = (non2xx > 0 ? $"; {non2xx} non-2xx answers" : "") + (socketErrors.Length > 0 ? $"; socket errors: {socketErrors}" : "");
        var clean = errors.Length == 0;
        var rps = PooledRequestsPerSecond(metrics);
        var p99 = Statistics.Median([.. metrics.Select(round => round.P99Ms)]);
        var seconds = metrics.Sum(round => round.Seconds);
        yield return Make(MetricsRpsRow, rps, PooledRequestsPerSecond(healthz), "/healthz", "req/s",
            clean && rps >= Targets.MetricsRequestsPerSecondMin ? Verdict.Met : Verdict.Missed,
            $"wrk -t2 -c16, {metrics.Count} rounds alternating with /healthz, {metrics.Sum(round => round.Requests):N0} requests in {seconds:0} s{errors}");
        yield return Make(MetricsP99Row, p99, Statistics.Median([.. healthz.Select(round => round.P99Ms)]), "/healthz", "ms",
            clean && p99 < Targets.MetricsP99MsMax ? Verdict.Met : Verdict.Missed,
            $"median of the rounds' p99 (wrk --latency); rounds: {string.Join(", ", metrics.Select(round => $"{round.P99Ms:0.0}"))} ms, " +
            $"/healthz rounds: {string.Join(", ", healthz.Select(round => $"{round.P99Ms:0.0}"))} ms");
    }

    private List<WrkOutput> ReadWrkRounds(string prefix)
    {
        var files = Directory.GetFiles(_raw, $"{prefix}-*.txt").Order(StringComparer.Ordinal).ToList();
        return files.Count > 0 ? [.. files.Select(WrkOutput.Read)] : throw new BenchException($"no {prefix}-*.txt in {_raw}");
    }

    private static double PooledRequestsPerSecond(List<WrkOutput> rounds) => rounds.Sum(round => round.Requests) / rounds.Sum(round => round.Seconds);

    /// <summary>The three rows of one store at one key depth: reservations/s, p50 and p99 latency.</summary>
    private static RowSpec[] ReservationRows(string kind, string name, int levels)
    {
        var depth = levels == 1 ? "1 level" : $"{levels} levels";
        var target = kind switch
        {
            "redis" => $">= {Targets.ReserveRedisRatioMin}x",
            "postgres" => $">= {Targets.ReservePostgresRatioMin}x",
            _ => "info: no server, no baseline",
        };
        return
        [
            new($"reserve-{kind}-{levels}", $"reservations/s, {name}, {depth}", target),
            new($"reserve-{kind}-{levels}-p50", $"reserve latency p50, {name}, {depth}", "info"),
            new($"reserve-{kind}-{levels}-p99", $"reserve latency p99, {name}, {depth}", "info"),
        ];
    }

    private IEnumerable<Figure> Reservations()
    {
        var skipped = RawPath(RawFiles.ReservationsSkipped);
        foreach (var levels in Depths)
        {
            foreach (var (kind, name) in Stores)
            {
                var rows = ReservationRows(kind, name, levels);
                var path = RawPath(string.Format(CultureInfo.InvariantCulture, RawFiles.ReservationsPattern, kind, levels));
                var failure = _errors.TryGetValue($"{RawFiles.ReservationsStep}-{kind}-{levels}", out var error) ? error
                    : _errors.TryGetValue($"{RawFiles.ReservationsStep}-{kind}", out var serverError) ? serverError : null;
                if (failure is not null)
                {
                    Crashed = true;
                    foreach (var row in rows)
                    {
                        yield return Figure.NotMeasured(row.Id, row.Name, $"error: {failure}", row.Target);
                    }
                    continue;
                }
                if (!File.Exists(path))
                {
                    var reason = File.Exists(skipped)
                        ? File.ReadAllText(skipped).Trim()
                        : throw new BenchException($"neither {Path.GetFileName(path)} nor {RawFiles.ReservationsSkipped} was written");
                    foreach (var row in rows)
                    {
                        yield return Figure.NotMeasured(row.Id, row.Name, reason, row.Target);
                    }
                    continue;
                }
                var samples = JsonSerializer.Deserialize(File.ReadAllText(path), BenchJsonContext.Default.ReservationSamples)
                    ?? throw new BenchException($"{Path.GetFileName(path)} is empty");
                var (baseline, baselineNote) = ReadStoreBaseline(kind, levels);
                var ratio = baseline is null ? (double?)null : samples.PerSecond / baseline.PerSecond;
                var minimum = kind == "redis" ? Targets.ReserveRedisRatioMin : Targets.ReservePostgresRatioMin;
                var verdict = ratio is { } r ? r >= minimum ? Verdict.Met : Verdict.Missed : Verdict.Info;
                var baselineName = baseline?.Name ?? "";
                yield return Make(rows[0], samples.PerSecond, baseline?.PerSecond, baselineName, "/s", verdict,
                    $"{samples.Processes} `budget-run serve` processes on `{samples.Key}`, {samples.Reserved:N0} reserved in {samples.Seconds:0.0} s{baselineNote}");
                yield return Make(rows[1], samples.P50Ms, baseline?.P50Ms, baselineName, "ms", Verdict.Info,
                    "POST /v1/reserve sent to answer read, nearest rank over every request");
                yield return Make(rows[2], samples.P99Ms, baseline?.P99Ms, baselineName, "ms", Verdict.Info, "nearest-rank p99");
            }
        }
    }

    /// <summary>The store's own baseline at that depth, or none (SQLite; a baseline that failed makes the run crashed, with the error in the note).</summary>
    private (StoreBaseline? Baseline, string Note) ReadStoreBaseline(string kind, int levels)
    {
        if (kind == "sqlite")
        {
            return (null, "");
        }
        if (_errors.TryGetValue($"{RawFiles.ReservationsStep}-{kind}-{levels}-baseline", out var error))
        {
            Crashed = true;
            return (null, $"; baseline not measured: {error}");
        }
        if (kind == "redis")
        {
            var baseline = StoreBaseline.ReadRedisBenchmark(RawPath(string.Format(CultureInfo.InvariantCulture, RawFiles.RedisReservePattern, levels)), 0);
            return (baseline, "; baseline: redis-benchmark -c 8 of the Reserve call budget-run made (MONITOR), a fresh reservation per call");
        }
        var pgbench = StoreBaseline.ReadPgbench(_raw, string.Format(CultureInfo.InvariantCulture, RawFiles.PgbenchPrefix, levels));
        return (pgbench, $"; baseline: pgbench -c 8 of the store's reserve statements in one transaction ({pgbench.Requests:N0} transactions)");
    }

    private IEnumerable<Figure> Memory()
    {
        var runs = RawTsv.Read(RawPath(RawFiles.Memory));
        var counts = runs.Keys.Select(key => int.Parse(key, CultureInfo.InvariantCulture)).Order().ToList();
        if (counts.Count < 2)
        {
            throw new BenchException($"{RawFiles.Memory} must hold at least two attempt counts, not {counts.Count}");
        }
        var few = MiB(counts[0]);
        var typical = Statistics.Median(few);
        var spread = few.Max() - few.Min();
        var baselineName = $"{counts[0]} attempts";

        // A middle count (full mode) tells a plateau (the GC's working set, reached early) from a
        // leak (growing with the count): it is reported for information.
        foreach (var middle in counts.Skip(1).SkipLast(1))
        {
            var value = MiB(middle).Max();
            yield return Make(MemoryRow with { Id = $"memory-{middle}", Name = $"peak RSS after {middle:N0} failing attempts", Target = "info" },
                value, typical, baselineName, "MiB", Verdict.Info, $"growth {value - typical:+0.0;-0.0} MiB; for telling a plateau from a leak");
        }

        var many = MiB(counts[^1]).Max();
        var growth = many - typical;
        var row = MemoryRow with { Name = $"peak RSS after {counts[^1]:N0} failing attempts" };
        var note = $"growth {growth:+0.0;-0.0} MiB over the median of {few.Count} runs of {counts[0]} attempts " +
            $"(their max-min spread: {spread:0.0} MiB)";
        yield return Make(row, many, typical, baselineName, "MiB", growth <= Targets.MemoryGrowthMiBMax ? Verdict.Met : Verdict.Missed, note);

        List<double> MiB(int count) => [.. runs[count.ToString(CultureInfo.InvariantCulture)].Select(kib => kib / KiBPerMiB)];
    }

    private static Figure Make(RowSpec row, double value, double? baseline, string baselineName, string unit, Verdict verdict, string note) =>
        new(row.Id, row.Name, value, baseline, baselineName, unit, row.Target, verdict, note);

    private static Dictionary<string, string> ReadErrors(string path)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        if (File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                var tab = line.IndexOf('\t', StringComparison.Ordinal);
                if (tab > 0)
                {
                    var step = line[..tab];
                    errors[step] = errors.TryGetValue(step, out var earlier) ? $"{earlier}; {line[(tab + 1)..]}" : line[(tab + 1)..];
                }
            }
        }
        return errors;
    }

    private string RawPath(string file) => Path.Combine(_raw, file);

    private sealed record RowSpec(string Id, string Name, string Target);
}
