using System.Globalization;
using System.Text.RegularExpressions;

namespace BudgetRun.Bench.Reporting;

/// <summary>
/// A ledger server's own figure for the work of one reservation, without budget-run: redis-benchmark
/// of the Reserve script (EVALSHA) or pgbench of the reserve statements, 8 clients, on the server
/// the ledger was measured on.
/// </summary>
internal sealed partial record StoreBaseline(string Name, double PerSecond, double P50Ms, double P99Ms, long Requests)
{
    /// <summary>redis-benchmark --csv: a header line, then the command's line ending in rps, avg, min, p50, p95, p99, max (ms).</summary>
    public static StoreBaseline ReadRedisBenchmark(string path, int requests)
    {
        var lines = File.ReadAllLines(path).Where(line => line.Length > 0).ToList();
        var header = lines.Count > 0 ? Fields(lines[0]) : [];
        if (lines.Count < 2 || header.Length < 8 || header[^7] != "rps" || header[^4] != "p50_latency_ms" || header[^2] != "p99_latency_ms")
        {
            throw new BenchException($"{Path.GetFileName(path)} is not redis-benchmark --csv output with rps, p50 and p99");
        }
        // The test's name (the whole EVALSHA command) may hold commas: the figures are read from the end.
        var fields = Fields(lines[^1]);
        return new StoreBaseline("EVALSHA Reserve", Number(fields[^7]), Number(fields[^4]), Number(fields[^2]), requests);
    }

    /// <summary>pgbench's "tps = N (without initial connection time)" and, from its -l logs, each transaction's latency (third field, µs).</summary>
    public static StoreBaseline ReadPgbench(string directory, string prefix)
    {
        var summary = File.ReadAllText(Path.Combine(directory, prefix + ".txt"));
        var tps = TpsLine().Match(summary);
        if (!tps.Success)
        {
            throw new BenchException($"{prefix}.txt has no tps line");
        }
        var latencies = new List<double>();
        foreach (var log in Directory.GetFiles(directory, prefix + ".*").Where(file => !file.EndsWith(".txt", StringComparison.Ordinal) && !file.EndsWith(".sql", StringComparison.Ordinal)))
        {
            foreach (var line in File.ReadLines(log))
            {
                var fields = line.Split(' ');
                if (fields.Length >= 3)
                {
                    latencies.Add(Number(fields[2]) / 1000);
                }
            }
        }
        return new StoreBaseline("pgbench", Number(tps.Groups["tps"].Value), Statistics.Percentile(latencies, 50), Statistics.Percentile(latencies, 99), latencies.Count);
    }

    private static string[] Fields(string line) => [.. line.Split(',').Select(field => field.Trim('"'))];

    private static double Number(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"tps = (?<tps>[0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsLine();
}
