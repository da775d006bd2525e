using System.Diagnostics;
using BudgetRun.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// <c>budget-run kill --budget-key K</c> reaches every budget-run of the account: a running one
/// stops its child within a second (then SIGKILL after the grace) and exits 77, new runs start
/// nothing until <c>budget-run resume</c>. Timed, so serial.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class FleetKillSwitchTests(RedisFixture redis, ITestOutputHelper output) : LedgerTest(redis), IClassFixture<RedisFixture>
{
    private static readonly TimeSpan _grace = TimeSpan.FromMilliseconds(500);

    /// <summary>The contract: a running budget-run of the account stops its child within this.</summary>
    private static readonly TimeSpan _propagation = TimeSpan.FromSeconds(1);

    /// <summary>Room for a loaded machine between SIGKILL and budget-run's exit.</summary>
    private static readonly TimeSpan _slack = TimeSpan.FromSeconds(1.5);

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task Kill_StopsARunningChild_WithinOneSecond_AndNoRunStartsAnAttempt_UntilResume(LedgerKind kind)
    {
        const string Reason = "vendor incident 7";
        var signals = Scratch.Path("signals");
        var report = Scratch.Path("report.json");
        var pidFile = Scratch.Path("child.pid");
        using var run = Launch([.. Budget(kind, 1000, 7), "--max-attempts", "3", "--base-delay", "10ms", "--kill-grace", "500ms",
            "--report", report, "--", .. Child("--count", Scratch.Path("attempts"), "--pid-file", pidFile, "record-signals", signals, "600000")]);
        var child = await Wait.ForPidAsync(pidFile, run);

        var clock = Stopwatch.StartNew();
        var sigtermTask = WhenSigtermAsync(signals, clock, run);
        var kill = await AdministerAsync(kind, "kill", "--reason", Reason);
        var killed = clock.Elapsed;
        var sigterm = await sigtermTask;
        var result = await run.WaitAsync();
        var exited = clock.Elapsed;
        output.WriteLine($"{kind}: the kill subcommand ran {killed.TotalMilliseconds:0}ms; the child got SIGTERM "
            + $"{sigterm.TotalMilliseconds:0}ms after it started, {(sigterm - killed).TotalMilliseconds:0}ms after it exited; "
            + $"budget-run exited {(exited - killed).TotalMilliseconds:0}ms after it exited (grace {_grace.TotalMilliseconds:0}ms)");

        kill.AssertExitCode(0).AssertNoStackTrace();
        Assert.True(sigterm - killed < _propagation,
            $"the child got SIGTERM {(sigterm - killed).TotalMilliseconds:0}ms after 'budget-run kill' exited (limit {_propagation.TotalMilliseconds:0}ms)\n{result}");
        Assert.True(exited - killed < _propagation + _grace + _slack,
            $"budget-run exited {(exited - killed).TotalMilliseconds:0}ms after 'budget-run kill' exited\n{result}");
        Assert.False(Posix.IsAlive(child), $"the child {child} outlived budget-run");
        result.AssertExitCode(77).AssertNoStackTrace();
        Assert.Equal(1, Scratch.Count("attempts"));
        Assert.Contains("killed (exit 77)", LastLine(result), StringComparison.Ordinal);
        Assert.Contains(Reason, LastLine(result), StringComparison.Ordinal);
        var loaded = RunReport.Load(report);
        Assert.Equal("killed", loaded.Outcome);
        Assert.Equal(77, loaded.ExitCode);
        Assert.Contains(Reason, loaded.Text(loaded.Root, "stopReason"), StringComparison.Ordinal);

        // Engaged: a second kill changes nothing and succeeds; a new run starts no attempt.
        (await AdministerAsync(kind, "kill", "--reason", Reason)).AssertExitCode(0).AssertNoStackTrace();
        var refused = await RunToEndAsync([.. Budget(kind, 1000, 7), "--", .. Child("--count", Scratch.Path("refused"), "exit", "0")]);
        refused.AssertExitCode(77).AssertNoStackTrace();
        Assert.Equal(0, Scratch.Count("refused"));
        Assert.Contains(Reason, LastLine(refused), StringComparison.Ordinal);
        var status = await StatusAsync(kind);
        Assert.True(status.KillSwitch);
        Assert.Equal(Reason, status.KillReason);

        // Released: resume twice, then runs start attempts again.
        (await AdministerAsync(kind, "resume")).AssertExitCode(0).AssertNoStackTrace();
        (await AdministerAsync(kind, "resume")).AssertExitCode(0).AssertNoStackTrace();
        var resumed = await RunToEndAsync([.. Budget(kind, 1000, 7), "--", .. Child("--count", Scratch.Path("resumed"), "exit", "0")]);
        resumed.AssertExitCode(0);
        Assert.Equal(1, Scratch.Count("resumed"));
        Assert.Equal(new AccountSnapshot(Key, 1000, 14, 0, 986, null, false, null), await StatusAsync(kind));
    }

    [Theory]
    [InlineData(LedgerKind.Sqlite)]
    [InlineData(LedgerKind.Redis)]
    [InlineData(LedgerKind.Postgres)]
    public async Task Kill_DuringALongBackoff_EndsTheRunWithinOneSecond_WithoutAnotherAttempt(LedgerKind kind)
    {
        const string Reason = "stop the retry storm";
        using var run = Launch([.. Budget(kind, 1000, 7), "--max-attempts", "5", "--base-delay", "60s", "--max-delay", "60s",
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);
        await Wait.UntilAsync(() => run.StderrSoFar.Contains("next attempt in", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
            "the first attempt failed and the backoff began", run);

        var clock = Stopwatch.StartNew();
        (await AdministerAsync(kind, "kill", "--reason", Reason)).AssertExitCode(0);
        var killed = clock.Elapsed;
        var result = await run.WaitAsync();
        var exited = clock.Elapsed;
        output.WriteLine($"{kind}: budget-run in a 60s backoff exited {(exited - killed).TotalMilliseconds:0}ms after 'budget-run kill' exited "
            + $"(the subcommand took {killed.TotalMilliseconds:0}ms)");

        result.AssertExitCode(77).AssertNoStackTrace();
        Assert.True(exited - killed < _propagation + _slack,
            $"budget-run exited {(exited - killed).TotalMilliseconds:0}ms after 'budget-run kill' exited\n{result}");
        Assert.Equal(1, Scratch.Count("attempts"));
        Assert.Contains(Reason, LastLine(result), StringComparison.Ordinal);
    }

    /// <summary>Polls the child's signal file from now on; the time on <paramref name="clock"/> when SIGTERM shows in it.</summary>
    private static async Task<TimeSpan> WhenSigtermAsync(string signals, Stopwatch clock, BudgetRunProcess run)
    {
        await Task.Yield();
        await Wait.UntilAsync(() => File.Exists(signals) && File.ReadAllText(signals).Contains("SIGTERM", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the child got SIGTERM", run);
        return clock.Elapsed;
    }
}
