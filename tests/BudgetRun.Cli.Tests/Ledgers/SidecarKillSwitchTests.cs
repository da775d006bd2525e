using System.Diagnostics;
using System.Net;
using BudgetRun.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// <c>serve</c> under the account's kill switch keeps running: <c>/v1/reserve</c> answers 423 with a
/// problem naming the reason, <c>/healthz</c> 503; after <c>budget-run resume</c> it reserves again
/// within two seconds, without a restart. Timed, so serial.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class SidecarKillSwitchTests(RedisFixture redis, ITestOutputHelper output) : SidecarTest(redis), IClassFixture<RedisFixture>
{
    private static readonly TimeSpan _limit = TimeSpan.FromSeconds(2);

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task WhileKilled_ReserveAnswers423NamingTheReason_AndAfterResume_ReservesAgainWithinTwoSeconds(LedgerKind kind)
    {
        const string Reason = "provider billing alert";
        using var sidecar = await ServeAsync(kind, 1000);
        var open = await sidecar.ReserveIdAsync(25);

        // The switch is in the ledger once kill exits: the very next reservation is refused.
        (await AdministerAsync(kind, "kill", "--reason", Reason)).AssertExitCode(0);
        var locked = await sidecar.ReserveAsync(5);
        var before = await sidecar.StatusAsync();
        var health = await sidecar.Client.GetAsync("/healthz");
        var metrics = await sidecar.Client.MetricsAsync();
        var again = await sidecar.ReserveAsync(5);
        // The real cost of a call made before the kill is still recorded.
        var settled = await sidecar.SettleAsync(open, 20);

        var clock = Stopwatch.StartNew();
        (await AdministerAsync(kind, "resume")).AssertExitCode(0);
        var resumed = clock.Elapsed;
        var reserved = await PollReserveAsync(sidecar, HttpStatusCode.OK, TimeSpan.FromSeconds(5));
        var reservedAfter = clock.Elapsed - resumed;
        var healthAfter = await sidecar.Client.GetAsync("/healthz");
        output.WriteLine($"{kind}: /v1/reserve answered 200 again {reservedAfter.TotalMilliseconds:0}ms after 'budget-run resume' exited");

        locked.AssertProblem(HttpStatusCode.Locked);
        Assert.Contains(Reason, locked.Body, StringComparison.Ordinal);
        again.AssertProblem(HttpStatusCode.Locked);
        Assert.Equal(new AccountSnapshot(Key, 1000, 0, 25, 975, null, true, Reason), before);
        health.AssertStatus(HttpStatusCode.ServiceUnavailable);
        Assert.Equal(1, metrics.Value("budget_run_kill_switch_engaged"));
        settled.AssertStatus(HttpStatusCode.OK);

        reserved.AssertStatus(HttpStatusCode.OK);
        Assert.True(reservedAfter < _limit, $"/v1/reserve answered 200 only {reservedAfter.TotalMilliseconds:0}ms after the resume (limit {_limit.TotalSeconds}s)");
        Assert.False(sidecar.Process.HasExited, $"serve exited\n--- stderr ---\n{sidecar.Process.StderrSoFar}");
        healthAfter.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(new AccountSnapshot(Key, 1000, 20, 5, 975, null, false, null), await sidecar.StatusAsync());
        Assert.Equal(0, (await sidecar.Client.MetricsAsync()).Value("budget_run_kill_switch_engaged"));
        await StopAsync(sidecar);
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task EngagedBeforeServeStarts_ServeStillServes_AndReserveAnswers423(LedgerKind kind)
    {
        (await AdministerAsync(kind, "kill", "--reason", "engaged early")).AssertExitCode(0);
        using var sidecar = await ServeAsync(kind, 1000);

        var answer = await sidecar.ReserveAsync(5);
        var health = await sidecar.Client.GetAsync("/healthz");

        answer.AssertProblem(HttpStatusCode.Locked);
        Assert.Contains("engaged early", answer.Body, StringComparison.Ordinal);
        health.AssertStatus(HttpStatusCode.ServiceUnavailable);
        Assert.Equal(new AccountSnapshot(Key, 1000, 0, 0, 1000, null, true, "engaged early"), await sidecar.StatusAsync());
    }

    /// <summary>Reserves 5 cents every 20ms until the answer is <paramref name="wanted"/> or the limit passes; returns the last answer.</summary>
    private static async Task<ControlAnswer> PollReserveAsync(Sidecar sidecar, HttpStatusCode wanted, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var answer = await sidecar.ReserveAsync(5);
            if (answer.Status == wanted || clock.Elapsed > limit)
            {
                return answer;
            }
            await Task.Delay(20);
        }
    }
}
