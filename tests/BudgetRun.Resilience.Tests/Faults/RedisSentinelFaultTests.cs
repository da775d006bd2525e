using System.Globalization;
using BudgetRun.Resilience.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Resilience.Tests.Faults;

/// <summary>
/// Fault: the primary of a Sentinel-managed Redis ledger moves (<c>SENTINEL FAILOVER</c>) or
/// crashes while an attempt's child runs (each test owns its primary, replica and three
/// sentinels). Promise: the run follows the new primary by itself, goes on, and every attempt is
/// charged once: the account's spend equals the sum of the attempts' costs in the report.
/// </summary>
[Collection(TimingCollection.Name)]
public sealed class RedisSentinelFaultTests(ITestOutputHelper output) : ResilienceTest
{
    private const long Cost = 7;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PrimaryMoves_WhileTheChildRuns_TheRunFollowsIt_AndEveryAttemptIsChargedOnce(bool crash)
    {
        await using var sentinel = await RedisSentinel.StartAsync();
        var key = $"sentinel-faults/{Guid.NewGuid():N}";
        var (report, pidFile, go) = (Scratch.Path("report.json"), Scratch.Path("child.pid"), Scratch.Path("go"));
        using var run = Launch(["--ledger", sentinel.Uri, "--budget-key", key, "--max-cost-cents", "1000", "--cost-per-attempt-cents",
            Cost.ToString(CultureInfo.InvariantCulture), "--max-attempts", "3", "--base-delay", "1s", "--report", report,
            "--", .. Child("--pid-file", pidFile, "--count", Scratch.Path("attempts"), "exit-when", go, "1")], timeout: TimeSpan.FromSeconds(90));
        await Wait.ForPidAsync(pidFile, run); // the first attempt runs on a reservation the old primary made and the replica confirmed

        var old = sentinel.Primary;
        if (crash)
        {
            await sentinel.KillPrimaryAsync();
            await sentinel.RejoinAsync(old); // back empty, as a replica: writes can be confirmed again
        }
        else
        {
            await sentinel.FailoverAsync();
        }
        await File.WriteAllTextAsync(go, "go");
        var result = await run.WaitAsync();
        var totals = await LedgerStatusAsync(sentinel.Uri, key);

        output.WriteLine($"crash {crash}: primary {old.Port} -> {sentinel.Primary.Port}, {totals}\n{result.Stderr}");
        Assert.NotEqual(old.Port, sentinel.Primary.Port);
        result.AssertNoStackTrace();
        Assert.NotEqual(69, result.ExitCode);
        Assert.Equal(3, Scratch.Count("attempts"));
        var loaded = RunReport.Load(report);
        var costs = loaded.Attempts.Sum(attempt => loaded.Number(attempt, "costCents"));
        Assert.Equal(3 * Cost, costs);
        Assert.Equal(new LedgerTotals(costs, 0, 1000 - costs, false), totals);
    }
}
