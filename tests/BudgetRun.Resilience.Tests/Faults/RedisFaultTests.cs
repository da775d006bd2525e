using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using BudgetRun.Resilience.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Resilience.Tests.Faults;

/// <summary>
/// Fault: the Redis ledger is stopped, restarted or slow in the middle of a run (each test owns its
/// redis-server). Promise: no attempt starts without a reservation (exit 69 when none can be had),
/// and after a reconnect nothing is charged twice: the account's spend equals the sum of the
/// attempts' costs in the report.
/// </summary>
[Collection(TimingCollection.Name)]
public sealed class RedisFaultTests(ITestOutputHelper output) : ResilienceTest
{
    private const long Cost = 7;
    private static readonly TimeSpan _ttl = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task RedisStopped_DuringTheBackoff_StartsNoAttemptWithoutAReservation_AndExits69()
    {
        await using var server = await RedisServer.StartAsync(persistent: true);
        var key = NewKey();
        var report = Scratch.Path("report.json");
        using var run = Launch([.. Account(server, key), "--max-attempts", "3", "--base-delay", "1s", "--report", report,
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);
        await Wait.UntilAsync(() => run.StderrSoFar.Contains("next attempt in", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
            "the first attempt failed and the backoff began", run);

        server.Kill();
        var result = await run.WaitAsync();
        await server.RestartAsync();
        var totals = await SettledStatusAsync(server, key);

        result.AssertExitCode(69).AssertNoStackTrace();
        Assert.Equal(1, Scratch.Count("attempts"));
        var loaded = RunReport.Load(report);
        Assert.Equal(("ledgerUnavailable", 1), (loaded.Outcome, loaded.Attempts.Count));
        Assert.Contains($"ledger {server.Uri} is unavailable", result.StderrLines[^1], StringComparison.Ordinal);
        Assert.Equal(new LedgerTotals(SumOfAttemptCosts(loaded), 0, 1000 - SumOfAttemptCosts(loaded), false), totals);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RedisRestarted_WhileTheChildRuns_TheRunGoesOn_AndEveryAttemptIsChargedOnce(bool persistent)
    {
        await using var server = await RedisServer.StartAsync(persistent);
        var key = NewKey();
        var report = Scratch.Path("report.json");
        var pidFile = Scratch.Path("child.pid");
        using var run = Launch([.. Account(server, key), "--max-attempts", "3", "--base-delay", "1s", "--report", report,
            "--", .. Child("--pid-file", pidFile, "--count", Scratch.Path("attempts"), "sleep", "3000")]);
        await Wait.ForPidAsync(pidFile, run);

        // Back at once: budget-run has reconnected (every 500 ms) long before the child ends and the
        // attempt is settled. Without persistence the reservation is gone by then: the settle finds
        // no reservation and charges the attempt's cost to the account as it is now.
        await server.RestartAsync();
        var result = await run.WaitAsync();
        var totals = await SettledStatusAsync(server, key);

        output.WriteLine($"persistent {persistent}: {totals}\n{result.Stderr}");
        result.AssertExitCode(0).AssertNoStackTrace();
        var loaded = RunReport.Load(report);
        Assert.Equal(SumOfAttemptCosts(loaded), totals.SpentCents);
        Assert.Equal(0, totals.ReservedCents);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RedisDownWhenTheAttemptEnds_BackBeforeTheNext_TheAttemptThatRanIsStillCharged(bool persistent)
    {
        // Issue 5: "a child already running is not killed because the ledger blipped; its spend is
        // settled when the ledger is back, or counted in full".
        await using var server = await RedisServer.StartAsync(persistent);
        var key = NewKey();
        var report = Scratch.Path("report.json");
        using var run = Launch([.. Account(server, key), "--max-attempts", "2", "--base-delay", "2s", "--report", report,
            "--", "sh", "-c", "echo $$ > \"$0.pid\"; [ -e \"$0\" ] && exit 0; : > \"$0\"; sleep 1; exit 1", Scratch.Path("ran")]);
        await Wait.ForPidAsync(Scratch.Path("ran.pid"), run);

        server.Kill(); // the first attempt ends while Redis is down: its settle fails
        await Wait.UntilAsync(() => run.StderrSoFar.Contains("could not settle", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
            "the settle of the first attempt failed", run);
        await server.RestartAsync(); // back (empty, without persistence) during the 2 s backoff
        var result = await run.WaitAsync();
        var totals = await SettledStatusAsync(server, key);

        output.WriteLine($"persistent {persistent}: {totals}\n{result.Stderr}");
        result.AssertExitCode(0).AssertNoStackTrace();
        var loaded = RunReport.Load(report);
        Assert.Equal(2, loaded.Attempts.Count);
        Assert.Equal(SumOfAttemptCosts(loaded), totals.SpentCents + totals.ReservedCents);
    }

    [Fact]
    public async Task Sidecar_StoppedWhileRedisIsPaused_ExitsCleanly()
    {
        // README: SIGTERM stops serve cleanly (exit 0), whatever its ledger is doing.
        await using var server = await RedisServer.StartAsync();
        using var serve = Launch(["serve", "--listen", "127.0.0.1:0", "--budget-key", NewKey(), "--ledger", server.Uri,
            "--max-cost-cents", "100"], timeout: TimeSpan.FromSeconds(40));
        await Wait.UntilAsync(() => serve.StderrSoFar.Contains("serving budget", StringComparison.Ordinal), TimeSpan.FromSeconds(20),
            "the 'serving budget' line", serve);

        server.Pause();
        ProcessResult result;
        try
        {
            serve.Signal(Posix.SIGTERM);
            result = await serve.WaitAsync();
        }
        finally
        {
            server.Continue();
        }

        output.WriteLine($"serve, SIGTERM while Redis is stopped: exit {result.ExitCode} after {result.Elapsed.TotalSeconds:0.0} s");
        result.AssertExitCode(0).AssertNoStackTrace();
    }

    [Fact]
    public async Task RedisSlow_DebugSleepShorterThanItsTimeout_DelaysAReservation_ButChargesNothingTwice()
    {
        await using var server = await RedisServer.StartAsync(false, "--enable-debug-command", "yes");
        var key = NewKey();
        var report = Scratch.Path("report.json");
        using var run = Launch([.. Account(server, key), "--max-attempts", "3", "--base-delay", "1s", "--report", report,
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);
        await Wait.UntilAsync(() => run.StderrSoFar.Contains("next attempt in", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
            "the first attempt failed and the backoff began", run);

        var clock = Stopwatch.StartNew();
        using var sleeper = await DebugSleepAsync(server.Port, "1.5"); // the server answers nobody for 1.5 s
        var result = await run.WaitAsync();
        var totals = await SettledStatusAsync(server, key);

        output.WriteLine($"DEBUG SLEEP 1.5: the run ended {clock.Elapsed.TotalMilliseconds:0} ms after it; {totals}");
        result.AssertExitCode(1).AssertNoStackTrace();
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(1.3), "the run did not wait for the sleeping server");
        Assert.Equal(3, Scratch.Count("attempts"));
        var loaded = RunReport.Load(report);
        Assert.Equal(3, loaded.Attempts.Count);
        Assert.Equal(new LedgerTotals(3 * Cost, 0, 1000 - 3 * Cost, false), totals);
        Assert.Equal(SumOfAttemptCosts(loaded), totals.SpentCents);
    }

    [Fact]
    public async Task RedisPaused_LongerThanItsTimeout_StartsNoAttempt_AndExits69InOneLine()
    {
        await using var server = await RedisServer.StartAsync();
        var key = NewKey();
        var report = Scratch.Path("report.json");
        using var run = Launch([.. Account(server, key), "--max-attempts", "3", "--base-delay", "2s", "--report", report,
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")], timeout: TimeSpan.FromSeconds(40));
        await Wait.UntilAsync(() => run.StderrSoFar.Contains("next attempt in", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
            "the first attempt failed and the backoff began", run);

        server.Pause(); // SIGSTOP: connections stay open and nothing is answered, as in a network partition
        ProcessResult result;
        try
        {
            result = await run.WaitAsync();
        }
        finally
        {
            server.Continue();
        }

        output.WriteLine($"SIGSTOP until budget-run exits: exit {result.ExitCode} after {result.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(1, Scratch.Count("attempts"));
        Assert.Single(RunReport.Load(report).Attempts);
        result.AssertExitCode(69).AssertNoStackTrace();
        Assert.Contains("ledgerUnavailable (exit 69)", result.StderrLines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedisSlow_DebugSleepLongerThanItsTimeout_StartsNoAttempt_AndChargesNoAttemptThatNeverRan()
    {
        await using var server = await RedisServer.StartAsync(false, "--enable-debug-command", "yes");
        var key = NewKey();
        var report = Scratch.Path("report.json");
        using var run = Launch([.. Account(server, key), "--max-attempts", "3", "--base-delay", "2s", "--report", report,
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);
        await Wait.UntilAsync(() => run.StderrSoFar.Contains("next attempt in", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
            "the first attempt failed and the backoff began", run);

        // Asleep for 6 s from within the 2 s backoff: the next reservation reaches a sleeping server
        // and its answer comes after budget-run's 3 s timeout; the server runs it when it wakes.
        using var sleeper = await DebugSleepAsync(server.Port, "6");
        Assert.False(await AnswersPingAsync(server.Port, TimeSpan.FromMilliseconds(300)), "the server did not fall asleep");
        Assert.DoesNotContain("attempt 2 of", run.StderrSoFar, StringComparison.Ordinal); // it fell asleep before the reservation
        var result = await run.WaitAsync();
        var totals = await SettledStatusAsync(server, key);

        output.WriteLine($"DEBUG SLEEP 6: exit {result.ExitCode}; {totals}\n{result.Stderr}");
        result.AssertExitCode(69).AssertNoStackTrace();
        Assert.Equal(1, Scratch.Count("attempts"));
        var loaded = RunReport.Load(report);
        Assert.Equal(("ledgerUnavailable", 1), (loaded.Outcome, loaded.Attempts.Count));
        Assert.True(totals.SpentCents <= 1000);
        // The reservation for attempt 2 reached the server, but its answer did not reach budget-run in
        // time, so attempt 2 never started: that reservation must not end up charged.
        Assert.True(SumOfAttemptCosts(loaded) == totals.SpentCents,
            $"the account was charged {totals.SpentCents} cents for attempts that cost {SumOfAttemptCosts(loaded)} "
            + $"(report: {loaded.Attempts.Count} attempt(s)): the reservation whose answer timed out was left open and counted as spent when it expired");
    }

    [Fact]
    public async Task Sidecar_ReservationWhoseAnswerTimedOut_IsCancelled_AndNeverCharged()
    {
        // Bug B through the sidecar: the worker got 503 and started nothing, so the reservation
        // the paused server runs when it resumes must not count.
        await using var server = await RedisServer.StartAsync();
        var key = NewKey();
        using var serve = Launch(["serve", "--listen", "127.0.0.1:0", "--budget-key", key, "--ledger", server.Uri,
            "--max-cost-cents", "100", "--reservation-ttl", "2s", "--ledger-timeout", "1s"], timeout: TimeSpan.FromSeconds(40));
        await Wait.UntilAsync(() => serve.StderrSoFar.Contains("serving budget", StringComparison.Ordinal), TimeSpan.FromSeconds(20),
            "the 'serving budget' line", serve);
        var port = int.Parse(serve.StderrSoFar.Split("http://127.0.0.1:", 2)[1].TakeWhile(char.IsAsciiDigit).ToArray(), CultureInfo.InvariantCulture);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        server.Pause();
        HttpResponseMessage lost;
        try
        {
            lost = await http.PostAsync(new Uri("/v1/reserve", UriKind.Relative), Json("""{"cents":7}"""));
        }
        finally
        {
            server.Continue(); // the server now runs the 7-cent reservation nobody waits for
        }
        using var next = await http.PostAsync(new Uri("/v1/reserve", UriKind.Relative), Json("""{"cents":5}"""));
        var totals = await SettledStatusAsync(server, key); // the open 5-cent one expires: spent in full
        serve.Signal(Posix.SIGTERM);
        var result = await serve.WaitAsync();

        output.WriteLine($"paused reserve: {(int)lost.StatusCode}; next: {(int)next.StatusCode}; {totals}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, lost.StatusCode);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(new LedgerTotals(5, 0, 95, false), totals);
        result.AssertExitCode(0).AssertNoStackTrace();
    }

    private static string[] Account(RedisServer server, string key) =>
        ["--ledger", server.Uri, "--budget-key", key, "--max-cost-cents", "1000", "--cost-per-attempt-cents",
         Cost.ToString(CultureInfo.InvariantCulture), "--reservation-ttl", "2s"];

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static string NewKey() => $"redis-faults/{Guid.NewGuid():N}";

    /// <summary>The account once every open reservation has had time to expire (the TTL is 2 s).</summary>
    private async Task<LedgerTotals> SettledStatusAsync(RedisServer server, string key)
    {
        await Task.Delay(_ttl + TimeSpan.FromMilliseconds(300));
        return await LedgerStatusAsync(server.Uri, key);
    }

    private static long SumOfAttemptCosts(RunReport report) => report.Attempts.Sum(attempt => report.Number(attempt, "costCents"));

    /// <summary>Whether the server answers PING within <paramref name="limit"/> (on a connection of its own).</summary>
    private static async Task<bool> AnswersPingAsync(int port, TimeSpan limit)
    {
        using var client = new TcpClient();
        using var cancel = new CancellationTokenSource(limit);
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, cancel.Token);
            await client.GetStream().WriteAsync("PING\r\n"u8.ToArray(), cancel.Token);
            return await client.GetStream().ReadAsync(new byte[16], cancel.Token) > 0;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Sends <c>DEBUG SLEEP seconds</c> on a connection of its own; the answer comes when the server wakes.</summary>
    private static async Task<TcpClient> DebugSleepAsync(int port, string seconds)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"DEBUG SLEEP {seconds}\r\n"));
        return client;
    }
}
