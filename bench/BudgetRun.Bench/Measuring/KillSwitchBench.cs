using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;

namespace BudgetRun.Bench.Measuring;

/// <summary>
/// Figure 4: the time from sending <c>POST /kill</c> to the death of budget-run's child, against
/// the child's own SIGTERM handling (a <c>sleep</c> we start and SIGTERM ourselves). The two are
/// sampled alternately so that drift on a shared machine hits both alike; the first runs warm up
/// this process (JIT, HttpClient) and are dropped.
/// Options: --binary PATH --out FILE [--runs 50] [--warmup 3].
/// </summary>
internal static class KillSwitchBench
{
    private const int KillSwitchExitCode = 77;
    private const int StatusReadTries = 100;
    private static readonly TimeSpan StepLimit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StatusRetryDelay = TimeSpan.FromMilliseconds(5);

    public static async Task<int> RunAsync(BenchArguments arguments)
    {
        var binary = arguments.Text("binary");
        var output = arguments.Text("out");
        var runs = arguments.Count("runs", 50);
        var warmup = arguments.Count("warmup", 3);

        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        var tokenFile = Path.Combine(Path.GetTempPath(), $"budget-run-bench-{Environment.ProcessId}.token");
        File.WriteAllText(tokenFile, token);
        File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            var kill = new List<double>(runs);
            var sigterm = new List<double>(runs);
            for (var i = 0; i < warmup + runs; i++)
            {
                var killMs = await TimeKillSwitchAsync(binary, tokenFile, token).ConfigureAwait(false);
                var sigtermMs = await TimeSigtermAsync().ConfigureAwait(false);
                if (i >= warmup)
                {
                    kill.Add(killMs);
                    sigterm.Add(sigtermMs);
                }
            }
            var samples = new KillSwitchSamples(runs, kill, sigterm);
            await File.WriteAllTextAsync(output, JsonSerializer.Serialize(samples, BenchJsonContext.Default.KillSwitchSamples)).ConfigureAwait(false);
            return 0;
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }

    private static async Task<double> TimeKillSwitchAsync(string binary, string tokenFile, string token)
    {
        await using var run = BudgetRunProcess.Start(binary,
        [
            "--listen", "127.0.0.1:0", "--control-token-file", tokenFile,
            "--max-attempts", "1", "--kill-grace", "10s", "--", "sleep", "1000",
        ]);
        var baseAddress = await run.Listening.WaitAsync(StepLimit).ConfigureAwait(false);
        _ = await run.AttemptStarted.WaitAsync(StepLimit).ConfigureAwait(false);

        // One client, one keep-alive connection: the GET opens it, the POST reuses it, so the
        // sample holds budget-run's handling, not our TCP handshake.
        using var client = new HttpClient { BaseAddress = baseAddress, Timeout = StepLimit };
        var childPid = await ReadChildPidAsync(client, run).ConfigureAwait(false);

        using var watch = new DeathWatch(childPid);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/kill");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var sent = Stopwatch.GetTimestamp();
        using var response = await client.SendAsync(request).ConfigureAwait(false);
        var died = await watch.Died.ConfigureAwait(false);

        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new BenchException($"POST /kill answered {(int)response.StatusCode}, expected 202: {run.StderrTail}");
        }
        var exitCode = await run.WaitForExitAsync(StepLimit).ConfigureAwait(false);
        if (exitCode != KillSwitchExitCode)
        {
            throw new BenchException($"budget-run exited {exitCode} after POST /kill, expected {KillSwitchExitCode}: {run.StderrTail}");
        }
        return Stopwatch.GetElapsedTime(sent, died).TotalMilliseconds;
    }

    /// <summary>GET /status until it names the child (the first attempt may still be spawning).</summary>
    private static async Task<int> ReadChildPidAsync(HttpClient client, BudgetRunProcess run)
    {
        for (var i = 0; i < StatusReadTries; i++)
        {
            var body = await client.GetStringAsync(new Uri("/status", UriKind.Relative)).ConfigureAwait(false);
            using var status = JsonDocument.Parse(body);
            if (status.RootElement.TryGetProperty("childPid", out var pid) && pid.ValueKind == JsonValueKind.Number)
            {
                return pid.GetInt32();
            }
            await Task.Delay(StatusRetryDelay, TimeProvider.System).ConfigureAwait(false);
        }
        throw new BenchException($"GET /status never named a childPid: {run.StderrTail}");
    }

    private static async Task<double> TimeSigtermAsync()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "1000") { UseShellExecute = false })
            ?? throw new BenchException("cannot start sleep");
        using var watch = new DeathWatch(sleeper.Id);
        var sent = Stopwatch.GetTimestamp();
        _ = NativeMethods.Kill(sleeper.Id, NativeMethods.SIGTERM);
        var died = await watch.Died.ConfigureAwait(false);
        await sleeper.WaitForExitAsync().ConfigureAwait(false);
        return Stopwatch.GetElapsedTime(sent, died).TotalMilliseconds;
    }
}
