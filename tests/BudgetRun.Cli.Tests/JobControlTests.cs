using System.Diagnostics;
using BudgetRun.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// Job control at an interactive terminal, driven the way a shell drives it (see
/// <see cref="PtyShell"/>): Ctrl-Z stops the child and budget-run, and the shell gets the terminal
/// back; fg and bg continue both. Without a terminal a stopped child is left to whoever stopped it.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class JobControlTests(ITestOutputHelper output) : CliTest
{
    private static readonly TimeSpan _limit = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task CtrlZ_StopsChildAndBudgetRun_ThenFg_ResumesTheChildInTheForeground()
    {
        var (shell, child, go) = await StartJobAsync();
        using var _ = shell;
        var budgetRun = shell.JobPid;

        var clock = Stopwatch.StartNew();
        await shell.TypeAsync("\u001a");
        var stopped = await shell.NextAsync("stopped");
        output.WriteLine($"Ctrl-Z to the shell seeing its job stopped: {clock.Elapsed.TotalMilliseconds:0} ms");

        Assert.Equal(Posix.SIGTSTP, stopped.GetProperty("signal").GetInt32());
        Assert.Equal(budgetRun, stopped.GetProperty("foreground").GetInt32()); // tcgetpgrp(master): budget-run took the terminal back
        Assert.True(Posix.Stat(child)!.IsStopped, $"the child is not stopped: {Posix.Stat(child)}");
        Assert.True(Posix.Stat(budgetRun)!.IsStopped, $"budget-run is not stopped: {Posix.Stat(budgetRun)}");

        await shell.FgAsync();

        var resumed = await Wait.ForAsync(() => Posix.Stat(child) is { IsStopped: false } stat && stat.TerminalForegroundGroup == child
            && Posix.Stat(budgetRun) is { IsStopped: false }, _limit);
        Assert.True(resumed, $"after fg the child does not run with the terminal's foreground, or budget-run is stopped: {Posix.Stat(child)}; budget-run: {Posix.Stat(budgetRun)}");
        await File.WriteAllTextAsync(go, "");
        var exited = await shell.NextAsync("exited");
        Assert.True(exited.GetProperty("status").GetInt32() == 7, $"budget-run ended with {exited}");
        Assert.Equal(budgetRun, exited.GetProperty("foreground").GetInt32()); // it took the terminal back when the attempt ended
    }

    [Fact]
    public async Task CtrlZ_ThenBg_ResumesTheChildInTheBackground_AndTheShellKeepsTheTerminal()
    {
        var (shell, child, go) = await StartJobAsync();
        using var _ = shell;
        var budgetRun = shell.JobPid;
        await shell.TypeAsync("\u001a");
        await shell.NextAsync("stopped");

        await shell.BgAsync();

        var resumed = await Wait.ForAsync(() => Posix.Stat(child) is { IsStopped: false } && Posix.Stat(budgetRun) is { IsStopped: false }, _limit);
        Assert.True(resumed, $"after bg the child or budget-run is still stopped: {Posix.Stat(child)}; budget-run: {Posix.Stat(budgetRun)}");
        Assert.Equal(shell.ShellGroup, Posix.Stat(child)!.TerminalForegroundGroup);
        await File.WriteAllTextAsync(go, "");
        var exited = await shell.NextAsync("exited");
        Assert.True(exited.GetProperty("status").GetInt32() == 7, $"budget-run ended with {exited}");
        Assert.Equal(shell.ShellGroup, exited.GetProperty("foreground").GetInt32()); // a background budget-run took nothing from the shell
    }

    [Fact]
    public async Task CtrlZ_TheAttemptTimeoutKeepsRunningWhileStopped_AndEndsTheAttemptRightAfterFg()
    {
        // README: --attempt-timeout and --deadline bound wall time, so they keep running while the
        // job is stopped. Stopped for 4 s with a 2 s timeout: the attempt ends at once after fg
        // (with paused clocks it would run about 2 s more).
        var (shell, child, _) = await StartJobAsync("--attempt-timeout", "2s", "--kill-grace", "1s");
        using var __ = shell;
        await shell.TypeAsync("\u001a");
        await shell.NextAsync("stopped");
        Assert.True(Posix.Stat(child)!.IsStopped, $"the child is not stopped: {Posix.Stat(child)}");
        await Task.Delay(TimeSpan.FromSeconds(4));

        var clock = Stopwatch.StartNew();
        await shell.FgAsync();
        var exited = await shell.NextAsync("exited");
        output.WriteLine($"fg to the end of a run whose attempt timeout passed while stopped: {clock.Elapsed.TotalMilliseconds:0} ms");

        Assert.True(exited.GetProperty("status").GetInt32() == 124, $"budget-run ended with {exited}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5), $"the run ended {clock.Elapsed.TotalSeconds:0.0} s after fg: the timeout did not run while stopped");
    }

    [Theory]
    [InlineData(Posix.SIGSTOP)]
    [InlineData(Posix.SIGTSTP)]
    public async Task WithoutATerminal_AStoppedChild_StaysStopped_AndTheRunEndsOnceItIsContinued(int signal)
    {
        var childPid = Scratch.Path("child.pid");
        var go = Scratch.Path("go");
        using var run = BudgetRunProcess.Start(["--max-attempts", "1", "--", .. Child("--pid-file", childPid, "exit-when", go, "7")]);
        var child = await Wait.ForPidAsync(childPid, run);

        Posix.Kill(child, signal);
        await Wait.UntilAsync(() => Posix.Stat(child) is { IsStopped: true }, _limit, "the child to stop", run);
        await File.WriteAllTextAsync(go, "");
        await Task.Delay(300); // budget-run, had it stopped itself or continued the child, would have done so by now
        Assert.True(Posix.Stat(child)!.IsStopped, $"the child was continued: {Posix.Stat(child)}");
        Assert.False(Posix.Stat(run.Pid)!.IsStopped, "budget-run stopped itself without a terminal");
        Assert.False(run.HasExited, $"budget-run ended while its child was stopped\n{run.StderrSoFar}");

        Posix.Kill(child, Posix.SIGCONT);
        var result = await run.WaitAsync();

        result.AssertExitCode(7);
    }

    private async Task<(PtyShell Shell, int Child, string Go)> StartJobAsync(params string[] options)
    {
        var childPid = Scratch.Path("child.pid");
        var go = Scratch.Path("go");
        var shell = await PtyShell.StartAsync(Scratch,
            [Executables.BudgetRun, "--max-attempts", "1", .. options, "--", .. Child("--pid-file", childPid, "exit-when", go, "7")]);
        try
        {
            var child = await Wait.ForPidAsync(childPid);
            await Wait.UntilAsync(() => Posix.Stat(child)?.TerminalForegroundGroup == child, _limit, "the child to get the terminal's foreground");
            return (shell, child, go);
        }
        catch
        {
            shell.Dispose();
            throw;
        }
    }
}
