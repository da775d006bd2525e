using BudgetRun.Resilience.Tests.Infrastructure;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace BudgetRun.Resilience.Tests.Faults;

/// <summary>
/// Fault: the SQLite ledger is locked by another process, immutable, on a read-only file system or
/// on a full one. Promise: no attempt starts without a reservation; budget-run exits 69 naming the
/// ledger and the cause in one line (no stack trace); and the ledger is not corrupted:
/// <c>PRAGMA integrity_check</c> (python3's sqlite3, a client other than budget-run) says ok
/// afterwards and the account holds exactly what was spent before the fault.
/// </summary>
public sealed class SqliteFaultTests(ITestOutputHelper output) : ResilienceTest
{
    private const string Key = "sqlite-faults/job";

    [Fact]
    public async Task LockedByAnotherProcess_MidRun_StartsNoFurtherAttempt_Exits69_LedgerIntact()
    {
        var path = Scratch.Path("ledger.db");
        var report = Scratch.Path("report.json");
        // The 2 s backoff leaves time to take the lock before the next reservation, even on a loaded machine.
        using var run = Launch([.. Account(path), "--max-attempts", "3", "--base-delay", "2s", "--report", report,
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);
        await Wait.UntilAsync(() => run.StderrSoFar.Contains("next attempt in", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
            "the first attempt failed and the backoff began", run);

        ProcessResult result;
        await using (await SqliteProbe.HoldWriteLockAsync(path)) // BEGIN EXCLUSIVE in python3, past the 5 s busy timeout
        {
            result = await run.WaitAsync();
        }

        output.WriteLine(result.Stderr);
        result.AssertExitCode(69).AssertNoStackTrace();
        Assert.Equal(1, Scratch.Count("attempts"));
        Assert.Equal("ledgerUnavailable", RunReport.Load(report).Outcome);
        AssertOneErrorLine(result, path, "locked");
        await AssertIntactAsync(path, spent: 7);
    }

    [Fact]
    public async Task LockedByAnotherProcess_WithALedgerTimeout_FailsClosedAfterThatTimeout_LedgerIntact()
    {
        var path = Scratch.Path("ledger.db");
        (await RunToEndAsync([.. Account(path), "--", .. Child("exit", "0")])).AssertExitCode(0);

        ProcessResult result;
        await using (await SqliteProbe.HoldWriteLockAsync(path))
        {
            result = await RunToEndAsync([.. Account(path), "--ledger-timeout", "1s",
                "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")]);
        }

        output.WriteLine($"locked, --ledger-timeout 1s: exit {result.ExitCode} after {result.Elapsed.TotalSeconds:0.0} s\n{result.Stderr}");
        result.AssertExitCode(69).AssertNoStackTrace();
        Assert.Equal(0, Scratch.Count("attempts"));
        AssertOneErrorLine(result, path, "the database is locked by another writer (waited 1s)");
        await AssertIntactAsync(path, spent: 7);
    }

    [RootFact]
    public async Task ImmutableFile_StartsNothing_Exits69_LedgerIntact()
    {
        var path = Scratch.Path("ledger.db");
        (await RunToEndAsync([.. Account(path), "--", .. Child("exit", "0")])).AssertExitCode(0);

        ProcessResult result;
        using (new Immutable(path)) // chattr +i: root cannot write it either
        {
            result = await RunToEndAsync([.. Account(path), "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")]);
        }

        output.WriteLine(result.Stderr);
        result.AssertExitCode(69).AssertNoStackTrace();
        Assert.Equal(0, Scratch.Count("attempts"));
        AssertOneErrorLine(result, path, "read-only");
        await AssertIntactAsync(path, spent: 7);
    }

    [RootFact]
    public async Task ReadOnlyFileSystem_StartsNothing_Exits69_LedgerIntact()
    {
        using var tmpfs = Tmpfs.Mount(1024);
        var path = tmpfs.File("ledger.db");
        (await RunToEndAsync([.. Account(path), "--", .. Child("exit", "0")])).AssertExitCode(0);

        tmpfs.RemountReadOnly();
        ProcessResult result;
        try
        {
            result = await RunToEndAsync([.. Account(path), "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")]);
        }
        finally
        {
            tmpfs.RemountWritable();
        }

        output.WriteLine(result.Stderr);
        result.AssertExitCode(69).AssertNoStackTrace();
        Assert.Equal(0, Scratch.Count("attempts"));
        AssertOneErrorLine(result, path, null);
        await AssertIntactAsync(path, spent: 7);
    }

    [RootFact]
    public async Task FullFileSystem_AtStart_StartsNothing_Exits69_LedgerIntact()
    {
        using var tmpfs = Tmpfs.Mount(256);
        var path = tmpfs.File("ledger.db");
        (await RunToEndAsync([.. Account(path), "--", .. Child("exit", "0")])).AssertExitCode(0);

        tmpfs.Fill();
        var result = await RunToEndAsync([.. Account(path), "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")]);
        tmpfs.Free();

        output.WriteLine(result.Stderr);
        result.AssertExitCode(69).AssertNoStackTrace();
        Assert.Equal(0, Scratch.Count("attempts"));
        AssertOneErrorLine(result, path, null);
        await AssertIntactAsync(path, spent: 7);
    }

    [RootFact]
    public async Task FullFileSystem_MidRun_StartsNoFurtherAttempt_Exits69_LedgerIntact()
    {
        using var tmpfs = Tmpfs.Mount(256);
        var path = tmpfs.File("ledger.db");
        using var run = Launch([.. Account(path), "--max-attempts", "3", "--base-delay", "2s",
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);
        await Wait.UntilAsync(() => run.StderrSoFar.Contains("next attempt in", StringComparison.Ordinal), TimeSpan.FromSeconds(15),
            "the first attempt failed and the backoff began", run);

        tmpfs.Fill();
        var result = await run.WaitAsync();
        tmpfs.Free();

        output.WriteLine(result.Stderr);
        result.AssertExitCode(69).AssertNoStackTrace();
        Assert.Equal(1, Scratch.Count("attempts"));
        AssertOneErrorLine(result, path, null);
        await AssertIntactAsync(path, spent: 7);
    }

    private static string[] Account(string path) =>
        ["--ledger", "sqlite:" + path, "--budget-key", Key, "--max-cost-cents", "100", "--cost-per-attempt-cents", "7"];

    /// <summary>
    /// The cause is stated once, in budget-run's last line (which names the ledger); any other line
    /// about it is the same message logged as the fault happened, never a different or partial one.
    /// </summary>
    private static void AssertOneErrorLine(ProcessResult result, string path, string? cause)
    {
        var last = result.StderrLines[^1];
        var ledger = $"ledger sqlite:{path} is unavailable: ";
        var at = last.IndexOf(ledger, StringComparison.Ordinal);
        if (at < 0)
        {
            throw new XunitException($"the last line does not say that the ledger is unavailable\n{result}");
        }
        var message = last[at..].Split(["; spent ", "; this run spent "], 2, StringSplitOptions.None)[0];
        if (cause is not null)
        {
            Assert.Contains(cause, message, StringComparison.Ordinal);
        }
        foreach (var line in result.StderrLines[..^1].Where(line => line.Contains("ledger ", StringComparison.Ordinal)))
        {
            Assert.True(line.EndsWith(message, StringComparison.Ordinal), $"another line about the ledger: {line}\n{result}");
        }
    }

    /// <summary><c>PRAGMA integrity_check</c> is ok, and the account holds <paramref name="spent"/> cents, none reserved.</summary>
    private async Task AssertIntactAsync(string path, long spent)
    {
        Assert.Equal("ok", await SqliteProbe.IntegrityCheckAsync(path));
        Assert.Equal(new LedgerTotals(spent, 0, 100 - spent, false), await LedgerStatusAsync("sqlite:" + path, Key));
    }
}
