using System.Globalization;
using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// How the child is started: a script without a #! line runs with /bin/sh (as execvp does), and
/// signals budget-run inherited as ignored stay ignored for the child, SIGSEGV and SIGFPE included.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class ChildStartTests : CliTest
{
    [Fact]
    public async Task ScriptWithoutShebang_RunsWithSh_WithItsPathAndArguments()
    {
        var script = Scratch.Write("no-shebang", "printf '%s|' \"$0\" \"$@\"; echo; exit 3\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var result = await RunAsync(["--max-attempts", "1", "--", script, "one", "two words", ""]);

        result.AssertExitCode(3);
        Assert.Equal($"{script}|one|two words||\n", result.StdoutText);
    }

    [Fact]
    public async Task ScriptWithoutShebang_FoundOnPath_RunsWithSh()
    {
        var bin = Directory.CreateDirectory(Scratch.Path("bin")).FullName;
        var script = Path.Combine(bin, "plain-script");
        await File.WriteAllTextAsync(script, "echo \"ran as $0 with $#\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        var result = await RunWithEnvironmentAsync(
            new Dictionary<string, string?> { ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH") },
            ["--max-attempts", "1", "--", "plain-script", "a", "b"]);

        result.AssertExitCode(0);
        Assert.Equal($"ran as {script} with 2\n", result.StdoutText);
    }

    [Fact]
    public async Task EmptyExecutableFile_RunsAsAnEmptyScript_AndSucceeds()
    {
        var script = Scratch.Write("empty", "");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        (await RunAsync(["--max-attempts", "1", "--", script])).AssertExitCode(0);
    }

    [Theory]
    [InlineData("echo not run\n")]
    [InlineData("#!/bin/sh\necho not run\n")]
    public async Task FileWithoutTheExecuteBit_Is126_AndNotRetried(string content)
    {
        var script = Scratch.Write("not-executable", content);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var result = await RunAsync(["--max-attempts", "3", "--", script]);

        result.AssertExitCode(126).AssertNoStackTrace();
        Assert.Equal("", result.StdoutText);
        Assert.Contains("startFailed (exit 126)", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("next attempt", result.Stderr, StringComparison.Ordinal);
    }

    [AotFact]
    public Task SegvAndFpeInheritedAsIgnored_StayIgnoredForTheChild() =>
        AssertInheritedIgnoredAsync([11, 8]);

    [AotFact]
    public Task SegvBusAndOthersInheritedAsIgnored_StayIgnored() =>
        AssertInheritedIgnoredAsync([11, 8, 2, 3, 10, 14, 7]);

    [Fact]
    public async Task SigpipeInheritedAsIgnored_IsDefaultForTheChild_SoPipelinesEnd()
    {
        var ignored = await ChildIgnoredSignalsAsync([13, 10]);

        Assert.Equal([10], ignored);
    }

    [AotFact]
    public async Task BashTrapOfSegvAndFpe_StaysIgnoredForTheChild()
    {
        var result = await BudgetRunProcess.RunProgramAsync("bash",
            ["-c", "trap '' SEGV FPE; exec \"$0\" --max-attempts 1 -- cat /proc/self/status", Executables.BudgetRun]);

        result.AssertExitCode(0);
        Assert.Equal([8, 11], Decode(result.StdoutText)); // not SIGPIPE, which the test host hands down ignored
    }

    [Fact]
    public Task IntQuitAndUsr1InheritedAsIgnored_StayIgnored_InEveryBuild() =>
        AssertInheritedIgnoredAsync([2, 3, 10]);

    [Fact]
    public async Task NothingInheritedAsIgnored_TheChildIgnoresNothing()
    {
        var ignored = await ChildIgnoredSignalsAsync([]);

        Assert.Empty(ignored);
    }

    private static async Task AssertInheritedIgnoredAsync(int[] expected)
    {
        var ignored = await ChildIgnoredSignalsAsync(expected);

        Assert.Equal(expected.Order(), ignored.Order());
    }

    /// <summary>
    /// The SigIgn set of budget-run's child (cat, which changes no disposition; grep catches SIGSEGV) when budget-run is
    /// exec'd with exactly <paramref name="ignored"/> ignored (python3 sets them; it ignores SIGPIPE
    /// and SIGXFSZ for itself, which are put back to default first).
    /// </summary>
    private static async Task<int[]> ChildIgnoredSignalsAsync(int[] ignored)
    {
        const string Exec = """
            import os, signal, sys
            for s in (signal.SIGPIPE, signal.SIGXFSZ):
                signal.signal(s, signal.SIG_DFL)
            for s in filter(None, sys.argv[2].split(",")):
                signal.signal(int(s), signal.SIG_IGN)
            os.execv(sys.argv[1], [sys.argv[1], "--max-attempts", "1", "--", "cat", "/proc/self/status"])
            """;
        var result = await BudgetRunProcess.RunProgramAsync("python3", ["-c", Exec, Executables.BudgetRun, string.Join(',', ignored)]);
        result.AssertExitCode(0);
        return Decode(result.StdoutText);
    }

    private static int[] Decode(string status)
    {
        var line = status.Split('\n').Single(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        var mask = ulong.Parse(line.Split(':')[1].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return Enumerable.Range(1, 64).Where(signal => (mask >> (signal - 1) & 1) == 1).ToArray();
    }
}
