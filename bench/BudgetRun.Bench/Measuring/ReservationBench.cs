using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using BudgetRun.Bench.Reporting;

namespace BudgetRun.Bench.Measuring;

/// <summary>
/// Figure 6: reservations per second against one ledger account from several processes at once.
/// Each process is a <c>budget-run serve</c> sidecar on the same --budget-key and --ledger, and
/// each has one client here that asks <c>POST /v1/reserve {"cents": 1}</c> in a loop; the account's
/// limit is far above what a run can reserve, so every answer should be 200. With --levels 3 the
/// key is ROOT/team/bench-x and the two upper levels get a limit first (<c>budget-run budget set</c>),
/// so every reservation holds cents on three levels. Each request's latency is recorded (p50, p99).
/// The baselines (redis-benchmark of the same script, pgbench of the same statements) are run by
/// bench/run.sh against the same server.
/// Options: --binary PATH --ledger URI --out FILE [--processes 8] [--seconds 10] [--levels 1|3].
/// </summary>
internal static class ReservationBench
{
    private const string AccountLimitCents = "1000000000000";
    private static readonly TimeSpan StepLimit = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(BenchArguments arguments)
    {
        var binary = arguments.Text("binary");
        var ledger = arguments.Text("ledger");
        var output = arguments.Text("out");
        var processes = arguments.Count("processes", 8);
        var duration = TimeSpan.FromSeconds(arguments.Count("seconds", 10));
        var levels = arguments.Count("levels", 1);
        if (levels is not (1 or 3))
        {
            throw new BenchException($"--levels must be 1 or 3, not {levels}");
        }
        var root = $"bench-{Environment.ProcessId}-{Stopwatch.GetTimestamp()}";
        var key = levels == 1 ? root : $"{root}/team/bench-x";
        if (levels == 3)
        {
            await SetLimitAsync(binary, ledger, root).ConfigureAwait(false);
            await SetLimitAsync(binary, ledger, $"{root}/team").ConfigureAwait(false);
        }

        var sidecars = new List<BudgetRunProcess>();
        try
        {
            for (var i = 0; i < processes; i++)
            {
                sidecars.Add(BudgetRunProcess.Start(binary,
                [
                    "serve", "--listen", "127.0.0.1:0", "--budget-key", key, "--ledger", ledger,
                    "--max-cost-cents", AccountLimitCents,
                ]));
            }
            foreach (var sidecar in sidecars)
            {
                _ = await sidecar.Listening.WaitAsync(StepLimit).ConfigureAwait(false);
            }

            var started = Stopwatch.GetTimestamp();
            var counts = await Task.WhenAll(sidecars.Select(sidecar => ReserveLoopAsync(sidecar, started, duration))).ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;

            var reserved = counts.Sum(c => c.Reserved);
            List<double> latencies = [.. counts.SelectMany(c => c.LatenciesMs)];
            var samples = new ReservationSamples(ledger, key, levels, processes, elapsed, reserved, counts.Sum(c => c.Refused), reserved / elapsed,
                Statistics.Percentile(latencies, 50), Statistics.Percentile(latencies, 99));
            await File.WriteAllTextAsync(output, JsonSerializer.Serialize(samples, BenchJsonContext.Default.ReservationSamples)).ConfigureAwait(false);
            return 0;
        }
        finally
        {
            foreach (var sidecar in sidecars)
            {
                if (sidecar.Listening.IsCompletedSuccessfully)
                {
                    _ = await sidecar.TerminateAsync(StepLimit).ConfigureAwait(false);
                }
                await sidecar.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Reserves until the time is up; any answer but 200 or 402 ends the measurement with its body.</summary>
    private static async Task<(long Reserved, long Refused, List<double> LatenciesMs)> ReserveLoopAsync(BudgetRunProcess sidecar, long started, TimeSpan duration)
    {
        using var client = new HttpClient { BaseAddress = await sidecar.Listening.ConfigureAwait(false), Timeout = StepLimit };
        long reserved = 0, refused = 0;
        var latencies = new List<double>();
        while (Stopwatch.GetElapsedTime(started) < duration)
        {
            using var body = new StringContent("""{"cents": 1}""", Encoding.UTF8, "application/json");
            var sent = Stopwatch.GetTimestamp();
            using var response = await client.PostAsync(new Uri("/v1/reserve", UriKind.Relative), body).ConfigureAwait(false);
            latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    reserved++;
                    break;
                case HttpStatusCode.PaymentRequired:
                    refused++;
                    break;
                default:
                    var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                    throw new BenchException($"POST /v1/reserve answered {(int)response.StatusCode} {text[..Math.Min(text.Length, 120)]}; budget-run logged: {sidecar.LastError}");
            }
        }
        return (reserved, refused, latencies);
    }

    /// <summary>An upper level of the key gets a limit as far out of reach as the run's own.</summary>
    private static async Task SetLimitAsync(string binary, string ledger, string key)
    {
        await using var set = BudgetRunProcess.Start(binary, ["budget", "set", "--budget-key", key, "--max-cost-cents", AccountLimitCents, "--ledger", ledger]);
        var code = await set.WaitForExitAsync(StepLimit).ConfigureAwait(false);
        if (code != 0)
        {
            throw new BenchException($"budget-run budget set --budget-key {key} exited {code}: {set.StderrTail}");
        }
    }
}
