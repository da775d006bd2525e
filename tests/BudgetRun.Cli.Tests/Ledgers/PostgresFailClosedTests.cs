using System.Diagnostics;
using Xunit.Abstractions;

namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// budget-run on a PostgreSQL ledger that goes away or refuses the password: no attempt starts
/// without a reservation, the run exits 69 with one line naming the ledger (never the password), as
/// with the other ledgers. A test that stops a server owns it (the assembly's shared one serves the
/// other tests); the password reaches budget-run through PGPASSWORD.
/// </summary>
public sealed class PostgresFailClosedTests(ITestOutputHelper output) : LedgerTest(redis: null)
{
    [Fact]
    public async Task PostgresStopped_DuringABackoff_StartsNoFurtherAttempt_AndExits69NamingTheLedger()
    {
        await using var server = await PostgresServer.StartAsync();
        var report = Scratch.Path("report.json");
        using var run = Launch(["--ledger", server.Uri, "--budget-key", Key, "--max-cost-cents", "1000", "--cost-per-attempt-cents", "7",
            "--max-attempts", "3", "--base-delay", "3s", "--max-delay", "3s", "--report", report,
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")], Password(server.Password));
        await Wait.UntilAsync(() => run.StderrSoFar.Contains("next attempt in", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
            "the first attempt failed and the backoff began", run);

        var clock = Stopwatch.StartNew();
        server.Stop();
        var result = await run.WaitAsync();
        output.WriteLine($"budget-run exited {clock.Elapsed.TotalMilliseconds:0}ms after PostgreSQL stopped during a 3s backoff");

        result.AssertExitCode(69).AssertNoStackTrace();
        Assert.Equal(1, Scratch.Count("attempts"));
        var last = LastLine(result);
        Assert.Contains("(exit 69)", last, StringComparison.Ordinal);
        Assert.Contains(server.Uri, last, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Password, result.Stderr, StringComparison.Ordinal);
        Assert.Equal("ledgerUnavailable", RunReport.Load(report).Outcome);
    }

    [Fact]
    public async Task WrongPassword_AtStart_StartsNothing_AndExits69WithOneLineWithoutThePassword()
    {
        await using var server = await PostgresServer.StartAsync("correct-horse-battery");

        var result = await RunToEndAsync(["--ledger", server.Uri, "--budget-key", Key, "--max-cost-cents", "100", "--cost-per-attempt-cents", "7",
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")], Password("wrong-staple-1234"));

        result.AssertExitCode(69);
        var line = result.AssertOneStderrLine();
        output.WriteLine(line);
        Assert.Contains($"ledger {server.Uri} is unavailable: the server refused the password", line, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-staple", result.Stderr + result.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, Scratch.Count("attempts"));
    }

    [Fact]
    public async Task Status_AgainstAStoppedServer_Exits69WithOneLineNamingIt()
    {
        await using var server = await PostgresServer.StartAsync();
        server.Stop();

        var result = await RunToEndAsync(["status", "--ledger", server.Uri, "--budget-key", Key], Password(server.Password));

        result.AssertExitCode(69);
        Assert.Equal($"budget-run: ledger {server.Uri} is unavailable: cannot connect to the server (connection refused)", result.AssertOneStderrLine());
    }

    [Fact]
    public async Task PostgresStopped_WhileTheChildRuns_DoesNotStopTheChild()
    {
        await using var server = await PostgresServer.StartAsync();
        var signals = Scratch.Path("signals");
        var pidFile = Scratch.Path("child.pid");
        using var run = Launch(["--ledger", server.Uri, "--budget-key", Key, "--max-cost-cents", "1000", "--cost-per-attempt-cents", "7",
            "--max-attempts", "1", "--", .. Child("--pid-file", pidFile, "record-signals", signals, "2500")], Password(server.Password));
        await Wait.ForPidAsync(pidFile, run);

        server.Stop();
        var result = await run.WaitAsync();

        Assert.False(File.Exists(signals), $"the child got {(File.Exists(signals) ? File.ReadAllText(signals).Trim() : "")} after the ledger went away\n{result}");
        Assert.True(result.Elapsed > TimeSpan.FromSeconds(2.5), $"the run ended before the child's 2.5s were over\n{result}");
        result.AssertNoStackTrace();
        Assert.Contains("succeeded", LastLine(result), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kill")]
    [InlineData("resume")]
    public async Task KillAndResume_AgainstAnUnreachableServer_Exit69WithOneLineNamingIt(string subcommand)
    {
        var ledger = $"postgres://{PostgresServer.User}@127.0.0.1:{Ports.FreeLoopback()}/{PostgresServer.Database}";

        var result = await RunToEndAsync([subcommand, "--ledger", ledger, "--budget-key", Key]);

        result.AssertExitCode(69);
        Assert.Contains($"ledger {ledger} is unavailable", result.AssertOneStderrLine(), StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task Serve_AgainstAnUnreachableServer_Exits69WithOneLine()
    {
        var ledger = $"postgres://{PostgresServer.User}@127.0.0.1:{Ports.FreeLoopback()}/{PostgresServer.Database}";

        var result = await RunToEndAsync(["serve", "--listen", "127.0.0.1:0", "--ledger", ledger, "--budget-key", Key, "--max-cost-cents", "100"]);

        result.AssertExitCode(69);
        Assert.Contains($"ledger {ledger} is unavailable", result.AssertOneStderrLine(), StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> Password(string password) => new() { ["PGPASSWORD"] = password, ["PGPASSFILE"] = null };
}
