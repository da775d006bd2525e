using System.Text.Json;
using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// At an interactive terminal budget-run behaves like the command itself: the child reads the
/// terminal (no SIGTTIN) and Ctrl-C ends the run at once with 130, without a retry. The terminal
/// is a pseudo-terminal opened by python3's pty module, with budget-run as its session leader.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class TerminalTests : CliTest
{
    // argv: WAIT_FOR_FILE INPUT_HEX COMMAND...; prints one JSON line {status, afterInput, output}.
    private const string PtyDriver = """
        import json, os, pty, select, sys, time
        wait_for, data, command = sys.argv[1], bytes.fromhex(sys.argv[2]), sys.argv[3:]
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(command[0], command)
        output, status, sent_at, limit = b"", None, None, time.monotonic() + 20
        while status is None and time.monotonic() < limit:
            if sent_at is None and (wait_for == "-" or os.path.exists(wait_for)):
                os.write(fd, data)
                sent_at = time.monotonic()
            ready, _, _ = select.select([fd], [], [], 0.02)
            if ready:
                try:
                    output += os.read(fd, 65536)
                except OSError:
                    pass
            done, raw = os.waitpid(pid, os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(raw)
        if status is None:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        after = None if status is None or sent_at is None else time.monotonic() - sent_at
        print(json.dumps({"status": status, "afterInput": after, "output": output.decode("utf-8", "replace")}))
        """;

    [Fact]
    public async Task InteractiveChild_ReadsTheTerminal_WithoutSigttin()
    {
        var (status, _, output) = await DriveAsync("-", "typed at the terminal\n",
            [Executables.BudgetRun, "--max-attempts", "1", "--", "head", "-n", "1"]);

        Assert.True(status == 0, $"budget-run at a terminal ended with {status?.ToString() ?? "a hang (killed)"}; output:\n{output}");
        Assert.Contains("typed at the terminal", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CtrlC_AtTheTerminal_Exits130AtOnce_WithoutRetry()
    {
        var childPid = Scratch.Path("child.pid");
        var (status, afterInput, output) = await DriveAsync(childPid, "\u0003",
            [Executables.BudgetRun, "--max-attempts", "3", "--base-delay", "10ms", "--kill-grace", "5s",
                "--", .. Child("--count", Scratch.Path("attempts"), "--pid-file", childPid, "sleep", "600000")]);

        Assert.True(status == 130, $"Ctrl-C ended budget-run with {status?.ToString() ?? "a hang (killed)"}; output:\n{output}");
        Assert.True(afterInput < 2, $"budget-run took {afterInput}s to end after Ctrl-C; output:\n{output}");
        await Task.Delay(200);
        Assert.Equal(1, Scratch.Count("attempts"));
    }

    [Fact]
    public async Task ChildDyingOfSigint_AsTheTerminalsForegroundJob_IsAnInterrupt_EvenWithRetryOn130()
    {
        var (status, _, output) = await DriveAsync("-", "",
            [Executables.BudgetRun, "--max-attempts", "3", "--base-delay", "10ms", "--retry-on", "130",
                "--", .. Child("--count", Scratch.Path("attempts"), "kill-self", "INT")]);

        Assert.True(status == 130, $"budget-run ended with {status?.ToString() ?? "a hang (killed)"}; output:\n{output}");
        Assert.Equal(1, Scratch.Count("attempts"));
        Assert.Contains("interrupted (exit 130)", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--retry-on", "130")]
    [InlineData("--no-retry-on", "1")]
    public async Task ChildDyingOfSigint_WithoutATerminal_IsAnOrdinarySignalDeath_AndRetried(string flag, string codes)
    {
        var report = Scratch.Path("report.json");

        var result = await RunAsync(["--max-attempts", "3", "--base-delay", "10ms", flag, codes, "--report", report,
            "--", .. Child("--count", Scratch.Path("attempts"), "kill-self", "INT")]);

        result.AssertExitCode(130);
        Assert.Equal(3, Scratch.Count("attempts"));
        var loaded = RunReport.Load(report);
        Assert.Equal("attemptsExhausted", loaded.Outcome);
        Assert.All(loaded.Attempts, attempt => Assert.Equal(2, loaded.Number(attempt, "signal")));
    }

    [Fact]
    public async Task ChildDyingOfSigint_WithoutATerminal_NotInRetryOn_EndsNotRetryable()
    {
        var result = await RunAsync(["--max-attempts", "3", "--retry-on", "1",
            "--", .. Child("--count", Scratch.Path("attempts"), "kill-self", "INT")]);

        result.AssertExitCode(130);
        Assert.Equal(1, Scratch.Count("attempts"));
        Assert.Contains("notRetryable (exit 130)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CtrlZ_WithNoShellAbove_IsANoOp_AndTheChildRunsOn()
    {
        // budget-run leads the terminal's session here, as it does as PID 1 of `docker run -it`: no
        // shell waits for it to stop, its process group is orphaned and the kernel discards the
        // SIGTSTP it sends itself. The child, stopped by Ctrl-Z, must be continued at once.
        var childPid = Scratch.Path("child.pid");
        var (status, _, output) = await DriveAsync(childPid, "\u001a",
            [Executables.BudgetRun, "--max-attempts", "1", "--", .. Child("--pid-file", childPid, "sleep", "1500")]);

        Assert.True(status == 0, $"Ctrl-Z without a shell ended budget-run with {status?.ToString() ?? "a hang (killed)"}; output:\n{output}");
    }

    private async Task<(int? Status, double? AfterInput, string Output)> DriveAsync(string waitFor, string input, string[] command)
    {
        var driver = Scratch.Path("pty-driver.py");
        await File.WriteAllTextAsync(driver, PtyDriver);
        var result = await BudgetRunProcess.StartProgram("python3",
            [driver, waitFor, Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(input)), .. command]).WaitAsync();
        result.AssertExitCode(0);
        using var json = JsonDocument.Parse(result.StdoutText);
        var root = json.RootElement;
        return (
            root.GetProperty("status").ValueKind == JsonValueKind.Number ? root.GetProperty("status").GetInt32() : null,
            root.GetProperty("afterInput").ValueKind == JsonValueKind.Number ? root.GetProperty("afterInput").GetDouble() : null,
            root.GetProperty("output").GetString() ?? "");
    }
}
