using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// budget-run's own output to a closed pipe or a full device never ends in a stack trace: a reader
/// that has gone exits 141 quietly (as SIGPIPE would), a full or failing stdout exits 74 with one line.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class StdoutFailureTests : CliTest
{
    // Runs budget-run with stdout on a pipe whose read end is already closed: EPIPE on the first write, every time.
    private const string ClosedPipe = """
        import os, subprocess, sys
        read, write = os.pipe()
        os.close(read)
        done = subprocess.run(sys.argv[1:], stdout=write, stderr=subprocess.PIPE)
        sys.stderr.buffer.write(done.stderr)
        sys.exit(done.returncode)
        """;

    [Theory]
    [InlineData("--help")]
    [InlineData("--version")]
    [InlineData("-h")]
    public async Task ToAClosedPipe_ExitsQuietlyWith141(string flag)
    {
        var driver = Scratch.Write("closed-pipe.py", ClosedPipe);

        var result = await BudgetRunProcess.RunProgramAsync("python3", [driver, Executables.BudgetRun, flag]);

        result.AssertExitCode(141);
        Assert.Equal("", result.Stderr);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("--version")]
    public async Task ToAFullDevice_SaysSoInOneLine_AndExits74(string flag)
    {
        var result = await BudgetRunProcess.RunProgramAsync("sh", ["-c", "exec \"$0\" \"$1\" >/dev/full", Executables.BudgetRun, flag]);

        result.AssertExitCode(74);
        Assert.Equal("budget-run: cannot write to stdout: No space left on device", result.AssertOneStderrLine());
    }

    [Fact]
    public async Task HelpPipedToHead_NeverPrintsAStackTrace()
    {
        var result = await BudgetRunProcess.RunProgramAsync("bash", ["-c",
            "\"$0\" --help | head -n 1; echo \"status=${PIPESTATUS[0]}\"", Executables.BudgetRun]);

        result.AssertExitCode(0).AssertNoStackTrace();
        Assert.Equal("", result.Stderr);
        Assert.Matches(@"\nstatus=(0|141)\n$", result.StdoutText); // 0 when head read all of it in time
    }

    [Fact]
    public async Task ToAFullDevice_WithStderrClosedToo_StillExits74WithoutACrash()
    {
        var result = await BudgetRunProcess.RunProgramAsync("sh", ["-c", "exec \"$0\" --version >/dev/full 2>&-", Executables.BudgetRun]);

        result.AssertExitCode(74);
    }
}
