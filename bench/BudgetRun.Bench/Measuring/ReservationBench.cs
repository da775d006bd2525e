using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace BudgetRun.Bench.Measuring;

/// <summary>
/// Figure 6: reservations per second against one ledger account from several processes at once.
/// Each process is a <c>budget-run serve</c> sidecar on the same --budget-key and --ledger, and
/// each has one client here that asks <c>POST /v1/reserve {"cents": 1}</c> in a loop; the account's
/// limit is far above what a run can reserve, so every answer should be 200. The redis-benchmark
/// baseline is run by bench/run.sh against the same redis-server.
/// Options: --binary PATH --ledger URI --out FILE [--processes 8] [--seconds 10].
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
        var key = $"bench-{Environment.ProcessId}-{Stopwatch.GetTimestamp()}";

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
            var samples = new ReservationSamples(ledger, processes, elapsed, reserved, counts.Sum(c => c.Refused), reserved / elapsed);
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
    private static async Task<(long Reserved, long Refused)> ReserveLoopAsync(BudgetRunProcess sidecar, long started, TimeSpan duration)
    {
        using var client = new HttpClient { BaseAddress = await sidecar.Listening.ConfigureAwait(false), Timeout = StepLimit };
        long reserved = 0, refused = 0;
        while (Stopwatch.GetElapsedTime(started) < duration)
        {
            using var body = new StringContent("""{"cents": 1}""", Encoding.UTF8, "application/json");
            using var response = await client.PostAsync(new Uri("/v1/reserve", UriKind.Relative), body).ConfigureAwait(false);
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
        return (reserved, refused);
    }
}
