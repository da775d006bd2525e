using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using BudgetRun.Resilience.Tests.Infrastructure;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace BudgetRun.Resilience.Tests.HostileInput;

/// <summary>
/// Hostile HTTP: thousands of seeded random and malformed requests (<see cref="HttpFuzzer"/>) to
/// every endpoint of a running budget-run (--listen) and of <c>budget-run serve</c> (SQLite
/// ledger), none with a valid token (near misses of it, other schemes, garbage). Promise: no 5xx, no crash (the process lives and /healthz
/// still answers 200), and no change of state: /status (and for serve the ledger itself) is the
/// same after as before. Reproduce a failure with BUDGET_RUN_FUZZ_SEED; size it with
/// BUDGET_RUN_FUZZ_REQUESTS (default 5,000 per target; 50,000 with BUDGET_RUN_SOAK=1).
/// </summary>
public sealed class HttpFuzzTests(ITestOutputHelper output) : ResilienceTest
{
    private const int Workers = 8;
    private static readonly string[] _runPaths = ["/metrics", "/healthz", "/status", "/kill", "/cost", "/kill", "/cost"];
    private static readonly string[] _servePaths = ["/metrics", "/healthz", "/status", "/v1/reserve", "/v1/settle", "/v1/reserve", "/v1/settle"];

    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("BUDGET_RUN_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed)
        ? seed
        : 20261125;

    private static int Requests => int.TryParse(Environment.GetEnvironmentVariable("BUDGET_RUN_FUZZ_REQUESTS"), NumberStyles.None, CultureInfo.InvariantCulture, out var count)
        ? count
        : SoakFactAttribute.IsEnabled ? 50_000 : 5_000;

    [Fact]
    public async Task RunControlPlane_UnderThousandsOfHostileRequests_AnswersNo5xx_StaysUp_ChangesNothing()
    {
        using var run = Launch(["--listen", "127.0.0.1:0", "--control-token-file", TokenFile(), "--max-cost-cents", "1000",
            "--cost-per-attempt-cents", "10", "--max-attempts", "1", "--kill-grace", "200ms",
            "--", .. Child("--pid-file", Scratch.Path("child.pid"), "sleep", "600000")], timeout: TimeSpan.FromMinutes(5));
        using var client = await ControlPlaneClient.ConnectAsync(run);
        await Wait.ForPidAsync(Scratch.Path("child.pid"), run);
        var before = await StatusSnapshot.TakeAsync(client);

        var tally = await FuzzAsync(client.BaseUrl.Port, _runPaths, Seed, () => !run.HasExited, ControlToken);

        output.WriteLine($"budget-run --listen: {tally}");
        Assert.False(run.HasExited, $"budget-run exited under the fuzz\n{run.StderrSoFar}");
        (await client.GetAsync("/healthz")).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(before, await StatusSnapshot.TakeAsync(client));
        tally.AssertNoServerErrors();
        (await client.PostAsync("/kill", null, ControlToken)).AssertStatus(HttpStatusCode.Accepted); // the real token still works
        var result = await run.WaitAsync();
        result.AssertExitCode(77).AssertNoStackTrace();
        Assert.DoesNotContain(result.StderrLines, line => line.Contains(" ERR ", StringComparison.Ordinal) || line.Contains(" FTL ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sidecar_UnderThousandsOfHostileRequests_AnswersNo5xx_StaysUp_ChangesNothing()
    {
        var ledger = "sqlite:" + Scratch.Path("ledger.db");
        const string Key = "fuzz/sidecar";
        using var serve = Launch(["serve", "--listen", "127.0.0.1:0", "--control-token-file", TokenFile(), "--budget-key", Key,
            "--ledger", ledger, "--max-cost-cents", "1000"], timeout: TimeSpan.FromMinutes(5));
        await Wait.UntilAsync(() => serve.StderrSoFar.Contains("serving budget", StringComparison.Ordinal), TimeSpan.FromSeconds(20),
            "the 'serving budget' line", serve);
        var port = int.Parse(serve.StderrSoFar.Split("http://127.0.0.1:", 2)[1].TakeWhile(char.IsAsciiDigit).ToArray(), CultureInfo.InvariantCulture);
        using var client = new ControlPlaneClient(new Uri($"http://127.0.0.1:{port}"));
        // Some state to keep: one open reservation of 25 cents and one settled at 10.
        (await client.PostAsync("/v1/reserve", "{\"cents\": 25}", ControlToken)).AssertStatus(HttpStatusCode.OK);
        var settled = (await client.PostAsync("/v1/reserve", "{\"cents\": 10}", ControlToken)).AssertStatus(HttpStatusCode.OK).Json.GetProperty("id").GetString();
        (await client.PostAsync("/v1/settle", $"{{\"id\": \"{settled}\", \"cents\": 10}}", ControlToken)).AssertStatus(HttpStatusCode.OK);
        var before = (await client.GetAsync("/status")).AssertStatus(HttpStatusCode.OK).Body;
        var ledgerBefore = await LedgerStatusAsync(ledger, Key);

        var tally = await FuzzAsync(port, _servePaths, Seed + 1, () => !serve.HasExited, ControlToken);

        output.WriteLine($"budget-run serve: {tally}");
        Assert.False(serve.HasExited, $"serve exited under the fuzz\n{serve.StderrSoFar}");
        (await client.GetAsync("/healthz")).AssertStatus(HttpStatusCode.OK);
        Assert.Equal(before, (await client.GetAsync("/status")).Body);
        Assert.Equal(ledgerBefore, await LedgerStatusAsync(ledger, Key));
        Assert.Equal(new LedgerTotals(10, 25, 965, false), ledgerBefore);
        tally.AssertNoServerErrors();
        serve.Signal(Posix.SIGTERM);
        var result = await serve.WaitAsync();
        result.AssertExitCode(0).AssertNoStackTrace();
        Assert.DoesNotContain(result.StderrLines, line => line.Contains(" ERR ", StringComparison.Ordinal) || line.Contains(" FTL ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HandlersBehindAValidToken_UnderThousandsOfHostileBodies_AnswerNo5xx_AndStayUp()
    {
        // With the token, the bodies reach the JSON readers of /cost (run) and /v1/reserve, /v1/settle
        // (serve); well-formed ones change state, as they should. /kill is left out: it ends the run.
        using var run = Launch(["--listen", "127.0.0.1:0", "--control-token-file", TokenFile(), "--max-cost-cents", "1000000000000000",
            "--max-attempts", "1", "--kill-grace", "200ms", "--", .. Child("sleep", "600000")], timeout: TimeSpan.FromMinutes(5));
        using var client = await ControlPlaneClient.ConnectAsync(run);
        var ledger = "sqlite:" + Scratch.Path("ledger.db");
        using var serve = Launch(["serve", "--listen", "127.0.0.1:0", "--control-token-file", TokenFile(), "--budget-key", "fuzz/authorized",
            "--ledger", ledger, "--max-cost-cents", "1000000000000000"], timeout: TimeSpan.FromMinutes(5));
        await Wait.UntilAsync(() => serve.StderrSoFar.Contains("serving budget", StringComparison.Ordinal), TimeSpan.FromSeconds(20),
            "the 'serving budget' line", serve);
        var servePort = int.Parse(serve.StderrSoFar.Split("http://127.0.0.1:", 2)[1].TakeWhile(char.IsAsciiDigit).ToArray(), CultureInfo.InvariantCulture);

        var runTally = await FuzzAsync(client.BaseUrl.Port, ["/cost"], Seed + 2, () => !run.HasExited, ControlToken, authorized: true);
        var serveTally = await FuzzAsync(servePort, ["/v1/reserve", "/v1/settle"], Seed + 3, () => !serve.HasExited, ControlToken, authorized: true);

        output.WriteLine($"budget-run /cost with the token: {runTally}");
        output.WriteLine($"budget-run serve /v1/* with the token: {serveTally}");
        Assert.False(run.HasExited, $"budget-run exited under the fuzz\n{run.StderrSoFar}");
        Assert.False(serve.HasExited, $"serve exited under the fuzz\n{serve.StderrSoFar}");
        (await client.GetAsync("/healthz")).AssertStatus(HttpStatusCode.OK);
        using var serveClient = new ControlPlaneClient(new Uri($"http://127.0.0.1:{servePort}"));
        (await serveClient.GetAsync("/healthz")).AssertStatus(HttpStatusCode.OK);
        runTally.AssertNoServerErrors();
        serveTally.AssertNoServerErrors();
        Assert.Equal("ok", await SqliteProbe.IntegrityCheckAsync(Scratch.Path("ledger.db")));
        Assert.DoesNotContain(run.StderrSoFar.Split('\n'), line => line.Contains(" ERR ", StringComparison.Ordinal) || line.Contains(" FTL ", StringComparison.Ordinal));
    }

    /// <summary>Sends <see cref="Requests"/> fuzzed requests from <see cref="Workers"/> connections at a time.</summary>
    private static async Task<FuzzTally> FuzzAsync(int port, string[] paths, int seed, Func<bool> alive, string token, bool authorized = false)
    {
        var tally = new FuzzTally(seed);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            var fuzzer = new HttpFuzzer(seed * 31 + worker, paths, token, authorized);
            for (var i = worker; i < Requests; i += Workers)
            {
                var request = fuzzer.Next();
                var answer = await RawHttp.SendAsync(port, request, TimeSpan.FromMilliseconds(500));
                tally.Add(answer, request);
                if (i % 500 == worker && !alive())
                {
                    throw new XunitException($"the server died after about {i} requests; last request:\n{FuzzTally.Show(request)}");
                }
            }
        })));
        tally.Elapsed = clock.Elapsed;
        return tally;
    }

    /// <summary>What the fuzzed requests got: answers by status, and the requests that got a 5xx.</summary>
    private sealed class FuzzTally(int seed)
    {
        private readonly ConcurrentDictionary<string, int> _byStatus = new();
        private readonly ConcurrentQueue<string> _serverErrors = new();
        private int _sent;
        private int _badVersions;

        public TimeSpan Elapsed { get; set; }

        public void Add(RawAnswer answer, byte[] request)
        {
            Interlocked.Increment(ref _sent);
            var key = (answer.Status?.ToString(CultureInfo.InvariantCulture) ?? (answer.Reset ? "reset" : "closed without an answer"))
                + (answer.HalfClosed ? " (incomplete)" : "");
            _byStatus.AddOrUpdate(key, 1, (_, count) => count + 1);
            // Kestrel's parser answers 505 to a request line whose HTTP version is malformed or not
            // 1.x ("HTTP/1.", "HTTP/01.1"): a protocol answer before budget-run's code runs, counted
            // apart. A 505 to a well-formed HTTP/1.0 or 1.1 request line, or any other 5xx, is a failure.
            if (answer.Status == 505 && !HasValidVersion(request))
            {
                Interlocked.Increment(ref _badVersions);
            }
            else if (answer.Status >= 500)
            {
                _serverErrors.Enqueue($"{answer.StatusLine} for:\n{Show(request)}");
            }
        }

        public void AssertNoServerErrors()
        {
            if (!_serverErrors.IsEmpty)
            {
                throw new XunitException($"{_serverErrors.Count} request(s) got a 5xx (seed {seed}); the first:\n{string.Join("\n---\n", _serverErrors.Take(3))}");
            }
        }

        public override string ToString() =>
            $"{_sent} requests sent (seed {seed}) in {Elapsed.TotalSeconds:0.0} s: "
            + string.Join(", ", _byStatus.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key} x{pair.Value}"))
            + $" (every 505 answered a malformed HTTP version: {_badVersions})";

        private static bool HasValidVersion(byte[] request)
        {
            // The request line ends at the first CR or LF: a random path holding an LF ends it early.
            var end = Array.FindIndex(request, b => b is (byte)'\r' or (byte)'\n');
            var line = Encoding.Latin1.GetString(request, 0, end < 0 ? request.Length : end);
            return line.EndsWith(" HTTP/1.1", StringComparison.Ordinal) || line.EndsWith(" HTTP/1.0", StringComparison.Ordinal);
        }

        /// <summary>The request's first 400 bytes, with non-printable bytes escaped.</summary>
        public static string Show(byte[] request)
        {
            var text = new StringBuilder();
            foreach (var b in request.Take(400))
            {
                text.Append(b is >= 0x20 and < 0x7f or (byte)'\n' ? ((char)b).ToString() : $"\\x{b:x2}");
            }
            return request.Length > 400 ? text.Append(CultureInfo.InvariantCulture, $"... ({request.Length} bytes)").ToString() : text.ToString();
        }
    }
}
