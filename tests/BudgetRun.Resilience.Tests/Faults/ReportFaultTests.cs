using BudgetRun.Resilience.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Resilience.Tests.Faults;

/// <summary>
/// Fault: the report cannot be written (no such directory, an immutable directory or file, /proc,
/// a full file system). Promise: the run's exit code is what it would have been, the failure is
/// logged in one line naming the path, and no temporary file is left behind.
/// </summary>
public sealed class ReportFaultTests(ITestOutputHelper output) : ResilienceTest
{
    public static TheoryData<string, int> Places => new()
    {
        { "missing directory", 0 },
        { "missing directory", 3 },
        { "under /proc", 3 },
    };

    /// <summary>Places only root can make unwritable for root (chattr +i).</summary>
    public static TheoryData<string, int> ImmutablePlaces => new()
    {
        { "immutable directory", 0 },
        { "immutable directory", 3 },
        { "immutable report file", 3 },
    };

    [Theory]
    [MemberData(nameof(Places))]
    public Task UnwritableReport_DoesNotChangeTheExitCode_AndIsLoggedInOneLine(string place, int childCode) =>
        AssertUnwritableReportAsync(place, childCode);

    [RootTheory]
    [MemberData(nameof(ImmutablePlaces))]
    public Task ImmutableReportPlace_DoesNotChangeTheExitCode_AndIsLoggedInOneLine(string place, int childCode) =>
        AssertUnwritableReportAsync(place, childCode);

    private async Task AssertUnwritableReportAsync(string place, int childCode)
    {
        var directory = Scratch.Path("reports");
        Directory.CreateDirectory(directory);
        var path = place switch
        {
            "missing directory" => Path.Combine(directory, "no", "such", "report.json"),
            "under /proc" => $"/proc/budget-run-{Guid.NewGuid():N}/report.json",
            _ => Path.Combine(directory, "report.json"),
        };
        if (place == "immutable report file")
        {
            File.WriteAllText(path, "the previous report\n");
        }
        using var immutable = place.StartsWith("immutable", StringComparison.Ordinal)
            ? new Immutable(place == "immutable directory" ? directory : path)
            : null;

        var result = await RunToEndAsync(["--max-attempts", "1", "--report", path, "--", .. Child("exit", childCode.ToString(System.Globalization.CultureInfo.InvariantCulture))]);

        output.WriteLine(result.Stderr);
        AssertReportFailureLogged(result, childCode, path);
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(directory), entry => entry.EndsWith(".tmp", StringComparison.Ordinal));
        if (place == "immutable report file")
        {
            Assert.Equal("the previous report\n", File.ReadAllText(path));
        }
    }

    [RootTheory]
    [InlineData(0)]
    [InlineData(3)]
    public async Task ReportOnAFullFileSystem_DoesNotChangeTheExitCode_LeavesNoTemporaryFile(int childCode)
    {
        using var tmpfs = Tmpfs.Mount(64);
        tmpfs.Fill();
        var path = tmpfs.File("report.json");

        var result = await RunToEndAsync(["--max-attempts", "1", "--report", path, "--", .. Child("exit", childCode.ToString(System.Globalization.CultureInfo.InvariantCulture))]);

        output.WriteLine(result.Stderr);
        AssertReportFailureLogged(result, childCode, path);
        Assert.Equal([".filler"], Directory.EnumerateFileSystemEntries(tmpfs.Path).Select(Path.GetFileName));
    }

    [RootFact]
    public async Task ReportOnAFullFileSystem_WhenInterrupted_StillExits143()
    {
        using var tmpfs = Tmpfs.Mount(64);
        tmpfs.Fill();
        var path = tmpfs.File("report.json");
        using var run = Launch(["--max-attempts", "1", "--kill-grace", "200ms", "--report", path,
            "--", .. Child("--pid-file", Scratch.Path("child.pid"), "sleep", "600000")]);
        await Wait.ForPidAsync(Scratch.Path("child.pid"), run);

        run.Signal(Posix.SIGTERM);
        var result = await run.WaitAsync();

        AssertReportFailureLogged(result, 143, path);
    }

    [Fact]
    public async Task LedgerUnreachableAtStart_TheRunStillEndsWithAReport()
    {
        // README: "The report is written when the run ends for any reason"; ledgerUnavailable is one
        // of its outcomes, and a ledger that cannot be reached at start is its commonest cause.
        var report = Scratch.Path("report.json");
        var ledger = $"sqlite:/proc/budget-run-{Guid.NewGuid():N}/ledger.db"; // cannot be created, fails at once

        var result = await RunToEndAsync(["--ledger", ledger, "--budget-key", "reports/unreachable", "--max-cost-cents", "100",
            "--cost-per-attempt-cents", "7", "--report", report, "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")]);

        result.AssertExitCode(69).AssertNoStackTrace();
        Assert.Equal(0, Scratch.Count("attempts"));
        Assert.True(File.Exists(report), $"no report was written for a run that ended with exit 69\n{result}");
        var loaded = RunReport.Load(report);
        Assert.Equal(("ledgerUnavailable", 69), (loaded.Outcome, loaded.ExitCode));
        Assert.Empty(loaded.Attempts);
    }

    private static void AssertReportFailureLogged(ProcessResult result, int exitCode, string path)
    {
        result.AssertExitCode(exitCode).AssertNoStackTrace();
        var failure = Assert.Single(result.StderrLines, line => line.Contains("could not write the report", StringComparison.Ordinal));
        Assert.Contains(path, failure, StringComparison.Ordinal);
        Assert.Contains($"(exit {exitCode})", result.StderrLines[^1], StringComparison.Ordinal);
    }
}
