using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using BudgetRun.Cli.Tests.Infrastructure;
using BudgetRun.Ledgers.Tests.Infrastructure;
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
    [InlineData(false, Skip = "KNOWN BUG (open): a Redis restarted WITHOUT persistence loses the account; the settle of the running attempt then charged 0 instead of 7. See the closing note.")]
    public async Task RedisRestarted_WhileTheChildRuns_TheRunGoesOn_AndEveryAttemptIsChargedOnce(bool persistent)
    {
        await using var server = await RedisServer.StartAsync(persistent);
        var key = NewKey();
        var report = Scratch.Path("report.json");
        var pidFile = Scratch.Path("child.pid");
        using var run = Launch([.. Account(server, key), "--max-attempts", "3", "--base-delay", "1s", "--report", report,
            "--", .. Child("--pid-file", pidFile, "--count", Scratch.Path("attempts"), "sleep", "1500")]);
        await Wait.ForPidAsync(pidFile, run);

        await server.RestartAsync(); // without persistence, the open reservation is lost with the data
        var result = await run.WaitAsync();
        var totals = await SettledStatusAsync(server, key);

        output.WriteLine($"persistent {persistent}: {totals}\n{result.Stderr}");
        result.AssertExitCode(0).AssertNoStackTrace();
        var loaded = RunReport.Load(report);
        Assert.Equal(SumOfAttemptCosts(loaded), totals.SpentCents);
        Assert.Equal(0, totals.ReservedCents);
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
        using var run = Launch([.. Account(server, key), "--max-attempts", "3", "--base-delay", "1s", "--report", report,
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

    [Fact(Skip = "KNOWN BUG (open): with DEBUG SLEEP past the 3 s command timeout mid-run the run exited 1 (attempts used up) instead of 69 once; timing-dependent, not yet understood. See the closing note.")]
    public async Task RedisSlow_DebugSleepLongerThanItsTimeout_StartsNoAttempt_AndChargesNoAttemptThatNeverRan()
    {
        await using var server = await RedisServer.StartAsync(false, "--enable-debug-command", "yes");
        var key = NewKey();
        var report = Scratch.Path("report.json");
        using var run = Launch([.. Account(server, key), "--max-attempts", "3", "--base-delay", "1s", "--report", report,
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);
        await Wait.UntilAsync(() => run.StderrSoFar.Contains("next attempt in", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
            "the first attempt failed and the backoff began", run);

        using var sleeper = await DebugSleepAsync(server.Port, "4"); // past the 3 s timeout; then it runs what it was sent
        var result = await run.WaitAsync();
        var totals = await SettledStatusAsync(server, key);

        output.WriteLine($"DEBUG SLEEP 4: exit {result.ExitCode}; {totals}\n{result.Stderr}");
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

    private static string[] Account(RedisServer server, string key) =>
        ["--ledger", server.Uri, "--budget-key", key, "--max-cost-cents", "1000", "--cost-per-attempt-cents",
         Cost.ToString(CultureInfo.InvariantCulture), "--reservation-ttl", "2s"];

    private static string NewKey() => $"redis-faults/{Guid.NewGuid():N}";

    /// <summary>The account once every open reservation has had time to expire (the TTL is 2 s).</summary>
    private async Task<LedgerTotals> SettledStatusAsync(RedisServer server, string key)
    {
        await Task.Delay(_ttl + TimeSpan.FromMilliseconds(300));
        return await LedgerStatusAsync(server.Uri, key);
    }

    private static long SumOfAttemptCosts(RunReport report) => report.Attempts.Sum(attempt => report.Number(attempt, "costCents"));

    /// <summary>Sends <c>DEBUG SLEEP seconds</c> on a connection of its own; the answer comes when the server wakes.</summary>
    private static async Task<TcpClient> DebugSleepAsync(int port, string seconds)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"DEBUG SLEEP {seconds}\r\n"));
        return client;
    }
}
