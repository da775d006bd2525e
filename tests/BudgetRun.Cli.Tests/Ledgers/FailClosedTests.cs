using System.Diagnostics;
using Xunit.Abstractions;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// A ledger that cannot be reached starts no attempt: budget-run exits 69 with a line naming the
/// ledger (no stack trace), and so do <c>status</c>, <c>kill</c> and <c>resume</c>. A child already
/// running is not killed because the ledger went away. Each Redis test owns its server.
/// </summary>
public sealed class FailClosedTests(ITestOutputHelper output) : LedgerTest(redis: null)
{
    public static TheoryData<string> Subcommands => new() { "status", "kill", "resume" };

    [Fact]
    public async Task RedisStopped_DuringABackoff_StartsNoFurtherAttempt_AndExits69NamingTheLedger()
    {
        await using var server = await RedisServer.StartAsync();
        var report = Scratch.Path("report.json");
        using var run = Launch(["--ledger", server.Uri, "--budget-key", Key, "--max-cost-cents", "1000", "--cost-per-attempt-cents", "7",
            "--max-attempts", "3", "--base-delay", "3s", "--max-delay", "3s", "--report", report,
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);
        await Wait.UntilAsync(() => run.StderrSoFar.Contains("next attempt in", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
            "the first attempt failed and the backoff began", run);

        var clock = Stopwatch.StartNew();
        server.Kill();
        var result = await run.WaitAsync();
        output.WriteLine($"budget-run exited {clock.Elapsed.TotalMilliseconds:0}ms after redis-server was killed during a 3s backoff");

        result.AssertExitCode(69).AssertNoStackTrace();
        Assert.Equal(1, Scratch.Count("attempts"));
        var last = LastLine(result);
        Assert.Contains("(exit 69)", last, StringComparison.Ordinal);
        Assert.Contains(server.Uri, last, StringComparison.Ordinal);
        var loaded = RunReport.Load(report);
        Assert.Equal("ledgerUnavailable", loaded.Outcome);
        Assert.Equal(69, loaded.ExitCode);
        Assert.Single(loaded.Attempts);
    }

    [Fact]
    public async Task RedisStopped_WhileTheChildRuns_DoesNotStopTheChild()
    {
        await using var server = await RedisServer.StartAsync();
        var signals = Scratch.Path("signals");
        var pidFile = Scratch.Path("child.pid");
        using var run = Launch(["--ledger", server.Uri, "--budget-key", Key, "--max-cost-cents", "1000", "--cost-per-attempt-cents", "7",
            "--max-attempts", "1", "--", .. Child("--pid-file", pidFile, "record-signals", signals, "2500")]);
        await Wait.ForPidAsync(pidFile, run);

        server.Kill();
        var result = await run.WaitAsync();

        Assert.False(File.Exists(signals), $"the child got {(File.Exists(signals) ? File.ReadAllText(signals).Trim() : "")} after the ledger went away\n{result}");
        Assert.True(result.Elapsed > TimeSpan.FromSeconds(2.5), $"the run ended before the child's 2.5s were over\n{result}");
        result.AssertNoStackTrace();
        Assert.Contains("succeeded", LastLine(result), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedisUnreachable_AtStart_StartsNothing_AndExits69WithOneLine()
    {
        var ledger = $"redis://127.0.0.1:{Ports.FreeLoopback()}/0";

        var result = await RunToEndAsync(["--ledger", ledger, "--budget-key", Key, "--max-cost-cents", "100", "--cost-per-attempt-cents", "7",
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")]);

        result.AssertExitCode(69);
        Assert.Contains(ledger, result.AssertOneStderrLine(), StringComparison.Ordinal);
        Assert.Equal(0, Scratch.Count("attempts"));
    }

    [Theory]
    [MemberData(nameof(Subcommands))]
    public async Task Subcommand_AgainstAnUnreachableRedis_Exits69WithOneLineNamingIt(string subcommand)
    {
        var ledger = $"redis://127.0.0.1:{Ports.FreeLoopback()}/0";

        var result = await RunToEndAsync([subcommand, "--ledger", ledger, "--budget-key", Key]);

        result.AssertExitCode(69);
        Assert.Contains(ledger, result.AssertOneStderrLine(), StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Theory]
    [InlineData("proc")]
    [InlineData("under-a-file")]
    public async Task SqliteAtAnUnwritablePath_StartsNothing_AndExits69WithOneLine(string where)
    {
        var path = UnwritablePath(where);

        var result = await RunToEndAsync(["--ledger", "sqlite:" + path, "--budget-key", Key, "--max-cost-cents", "100",
            "--cost-per-attempt-cents", "7", "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")]);

        result.AssertExitCode(69);
        Assert.Contains(path, result.AssertOneStderrLine(), StringComparison.Ordinal);
        Assert.Equal(0, Scratch.Count("attempts"));
    }

    // status and resume never create a ledger file: a path where none exists is "no such ledger" (66),
    // not an unwritable one (69); kill must create it, and fails closed.
    [Theory]
    [InlineData("status", "proc", 66)]
    [InlineData("kill", "proc", 69)]
    [InlineData("resume", "under-a-file", 66)]
    [InlineData("status", "under-a-file", 66)]
    public async Task Subcommand_AgainstAnUnwritableSqlitePath_ExitsWithOneLine(string subcommand, string where, int exitCode)
    {
        var path = UnwritablePath(where);

        var result = await RunToEndAsync([subcommand, "--ledger", "sqlite:" + path, "--budget-key", Key]);

        result.AssertExitCode(exitCode);
        Assert.Contains(path, result.AssertOneStderrLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SqliteLocked_PastTheBusyTimeout_StartsNothing_AndExits69NamingTheLedger()
    {
        var path = Scratch.Path("locked.db");
        (await RunToEndAsync(["budget", "set", "--ledger", "sqlite:" + path, "--budget-key", Key, "--max-cost-cents", "100"])).AssertExitCode(0);
        using var holder = BudgetRunProcess.StartProgram("sqlite3", [path], new RunSettings { KeepStdinOpen = true });
        await holder.Stdin.WriteAsync("BEGIN EXCLUSIVE;\nSELECT 'locked';\n"u8.ToArray());
        await holder.Stdin.FlushAsync();
        await Wait.UntilAsync(() => holder.StdoutSoFar.Contains("locked", StringComparison.Ordinal), TimeSpan.FromSeconds(10),
            "sqlite3 holds the write lock");

        var result = await RunToEndAsync(["--ledger", "sqlite:" + path, "--budget-key", Key, "--max-cost-cents", "100",
            "--cost-per-attempt-cents", "7", "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")]);

        result.AssertExitCode(69).AssertNoStackTrace();
        Assert.Equal(0, Scratch.Count("attempts"));
        Assert.Contains("sqlite:" + path, LastLine(result), StringComparison.Ordinal);
    }

    /// <summary>A database path no one can create: under /proc, or under a regular file.</summary>
    private string UnwritablePath(string where)
    {
        if (where == "proc")
        {
            return $"/proc/budget-run-tests-{Guid.NewGuid():N}/ledger.db";
        }
        var file = Scratch.Path("a-regular-file");
        File.WriteAllText(file, "not a directory\n");
        return Path.Combine(file, "ledger.db");
    }
}
