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
        AssertInheritedIgnoredAsync("SEGV FPE", [11, 8]);

    [AotFact]
    public Task PipeInheritedAsIgnored_StaysIgnored_WithTheOthers() =>
        AssertInheritedIgnoredAsync("SEGV FPE PIPE INT QUIT USR1 ALRM", [11, 8, 13, 2, 3, 10, 14]);

    [Fact]
    public Task IntQuitAndUsr1InheritedAsIgnored_StayIgnored_InEveryBuild() =>
        AssertInheritedIgnoredAsync("INT QUIT USR1", [2, 3, 10]);

    [Fact]
    public async Task NothingInheritedAsIgnored_TheChildIgnoresNothing()
    {
        var ignored = await ChildIgnoredSignalsAsync("");

        Assert.Empty(ignored);
    }

    private async Task AssertInheritedIgnoredAsync(string trapped, int[] expected)
    {
        var ignored = await ChildIgnoredSignalsAsync(trapped);

        Assert.Equal(expected.Order(), ignored.Order());
    }

    /// <summary>The SigIgn set of a child (grep, which changes no disposition) of budget-run started by bash with <paramref name="trapped"/> ignored.</summary>
    private static async Task<int[]> ChildIgnoredSignalsAsync(string trapped)
    {
        var script = (trapped.Length > 0 ? $"trap '' {trapped}; " : "") + "exec \"$0\" --max-attempts 1 -- grep ^SigIgn: /proc/self/status";
        var result = await BudgetRunProcess.RunProgramAsync("bash", ["-c", script, Executables.BudgetRun]);
        result.AssertExitCode(0);
        var mask = ulong.Parse(result.StdoutText.Split(':')[1].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return Enumerable.Range(1, 64).Where(signal => (mask >> (signal - 1) & 1) == 1).ToArray();
    }
}
