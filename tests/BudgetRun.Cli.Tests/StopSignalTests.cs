using System.Diagnostics;
using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// Every catchable signal that would end budget-run either stops the run (tree killed, report
/// written, exit 128 + N) or reaches the child; a stop continues stopped processes, signals each
/// process once, and a second stop signal SIGKILLs the tree at once.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class StopSignalTests : CliTest
{
    private const int SIGTRAP = 5, SIGALRM = 14, SIGSTKFLT = 16, SIGXCPU = 24, SIGXFSZ = 25, SIGVTALRM = 26,
        SIGPROF = 27, SIGIO = 29, SIGPWR = 30, SIGSYS = 31, SIGRTMIN6 = 40, SIGRTMAX4 = 60;

    [Theory]
    [InlineData(SIGALRM)]
    [InlineData(SIGVTALRM)]
    [InlineData(SIGPROF)]
    [InlineData(SIGXCPU)]
    [InlineData(SIGXFSZ)]
    [InlineData(SIGPWR)]
    [InlineData(SIGIO)]
    [InlineData(SIGSTKFLT)]
    [InlineData(SIGSYS)]
    public Task OtherTerminatingSignal_StopsTheRun_KillsTheTree_WritesTheReport_Exits128PlusIt(int signal) =>
        AssertStopsTheRunAsync(signal);

    [AotFact]
    public Task Sigtrap_StopsTheRunLikeTheOthers() => AssertStopsTheRunAsync(SIGTRAP);

    private async Task AssertStopsTheRunAsync(int signal)
    {
        // A child in its own group with a grandchild in that group, and one escaped with setsid that
        // ignores SIGTERM: the whole tree must be gone when budget-run exits.
        var childPid = Scratch.Path("child.pid");
        var groupPid = Scratch.Path("group.pid");
        var setsidPid = Scratch.Path("setsid.pid");
        var report = Scratch.Path("report.json");
        using var run = BudgetRunProcess.Start(["--max-attempts", "3", "--base-delay", "10ms", "--kill-grace", "300ms", "--report", report,
            "--", .. Child("--count", Scratch.Path("attempts"), "--pid-file", childPid,
                "spawn", "setsid", setsidPid, "sleep:600000",
                "spawn", "group", groupPid, "sleep:600000", "ignore-sigterm", "600000")]);
        var tree = new[] { await Wait.ForPidAsync(childPid, run), await Wait.ForPidAsync(setsidPid, run), await Wait.ForPidAsync(groupPid, run) };

        run.Signal(signal);
        var result = await run.WaitAsync();

        result.AssertExitCode(128 + signal).AssertNoStackTrace();
        Assert.All(tree, pid => Assert.False(Posix.IsAlive(pid), $"process {pid} of the tree outlived budget-run after signal {signal}\n{result}"));
        Assert.Equal(1, Scratch.Count("attempts"));
        var loaded = RunReport.Load(report);
        Assert.Equal("interrupted", loaded.Outcome);
        Assert.Equal(128 + signal, loaded.ExitCode);
        Assert.Contains($"exit {128 + signal}", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SIGRTMIN6, "SIGRTMIN+6")]
    [InlineData(SIGRTMAX4, "SIGRTMAX-4")]
    public async Task RealTimeSignal_ReachesTheChild_AndDoesNotEndTheRun(int signal, string name)
    {
        var childPid = Scratch.Path("child.pid");
        var received = Scratch.Path("signals");
        using var run = BudgetRunProcess.Start(["--max-attempts", "1", "--kill-grace", "300ms",
            "--", .. Child("--pid-file", childPid, "record-signals", received, "600000")]);
        var child = await Wait.ForPidAsync(childPid, run);

        run.Signal(signal);
        await Wait.UntilAsync(() => Lines(received).Contains(name), TimeSpan.FromSeconds(5), $"{name} at the child", run);

        Assert.False(run.HasExited, $"{name} ended budget-run\n{run.StderrSoFar}");
        Assert.True(Posix.IsAlive(child));
        run.Signal(Posix.SIGTERM);
        (await run.WaitAsync()).AssertExitCode(143);
    }

    [Theory]
    [InlineData(Posix.SIGTERM, 143)]
    [InlineData(Posix.SIGINT, 130)]
    [InlineData(SIGALRM, 142)]
    public async Task StopOfAStoppedChild_ContinuesIt_SoItHandlesTheSignalAtOnce(int signal, int expectedCode)
    {
        var childPid = Scratch.Path("child.pid");
        var received = Scratch.Path("signals");
        using var run = BudgetRunProcess.Start(["--max-attempts", "3", "--kill-grace", "20s",
            "--", .. Child("--pid-file", childPid, "exit-on-signal", received, "600000")]);
        var child = await Wait.ForPidAsync(childPid, run);
        await StopAsync(child, run);
        var clock = Stopwatch.StartNew();

        run.Signal(signal);
        var result = await run.WaitAsync();

        result.AssertExitCode(expectedCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5),
            $"the stopped child was not continued: the stop took {clock.Elapsed.TotalSeconds:0.###}s of the 20s grace\n{result}");
        Assert.Single(Lines(received)); // it handled the signal itself: no SIGKILL was needed
    }

    [Fact]
    public async Task AttemptTimeout_OfAStoppedChild_ContinuesIt()
    {
        var childPid = Scratch.Path("child.pid");
        var received = Scratch.Path("signals");
        var report = Scratch.Path("report.json");
        using var run = BudgetRunProcess.Start(["--max-attempts", "1", "--attempt-timeout", "2s", "--kill-grace", "20s", "--report", report,
            "--", .. Child("--pid-file", childPid, "exit-on-signal", received, "600000")]);
        var child = await Wait.ForPidAsync(childPid, run);
        await StopAsync(child, run);

        var result = await run.WaitAsync();

        result.AssertExitCode(124).AssertFasterThan(TimeSpan.FromSeconds(8));
        Assert.Equal(["SIGTERM"], Lines(received));
        Assert.Equal("timeout", RunReport.Load(report).Text(RunReport.Load(report).Attempts[0], "outcome"));
    }

    [Fact]
    public async Task Sweep_OfAStoppedLeftover_ContinuesIt()
    {
        // The child ends (on the test's SIGUSR1) once its setsid grandchild is stopped; the sweep
        // that follows must continue the leftover so that it can handle its SIGTERM.
        var childPid = Scratch.Path("child.pid");
        var leftoverPid = Scratch.Path("leftover.pid");
        var received = Scratch.Path("signals");
        using var run = BudgetRunProcess.Start(["--max-attempts", "1", "--kill-grace", "20s",
            "--", .. Child("--pid-file", childPid, "spawn", "setsid", leftoverPid, "record-exit:" + Scratch.Path("child.signals"),
                "exit-on-signal", received, "600000")]);
        var child = await Wait.ForPidAsync(childPid, run);
        var leftover = await Wait.ForPidAsync(leftoverPid, run);
        await StopAsync(leftover, run);

        Posix.Kill(child, Posix.SIGUSR1);
        var result = await run.WaitAsync();

        result.AssertExitCode(0).AssertFasterThan(TimeSpan.FromSeconds(10));
        Assert.Equal(["SIGTERM"], Lines(received));
        Assert.False(Posix.IsAlive(leftover));
    }

    [Theory]
    [InlineData(Posix.SIGTERM, Posix.SIGTERM, 143)]
    [InlineData(Posix.SIGINT, Posix.SIGINT, 130)]
    [InlineData(Posix.SIGTERM, Posix.SIGINT, 143)]
    [InlineData(SIGALRM, Posix.SIGTERM, 142)]
    public async Task SecondStopSignal_DuringTheGrace_KillsTheWholeTreeAtOnce(int first, int second, int expectedCode)
    {
        var childPid = Scratch.Path("child.pid");
        var setsidPid = Scratch.Path("setsid.pid");
        var childSignals = Scratch.Path("child.signals");
        var report = Scratch.Path("report.json");
        using var run = BudgetRunProcess.Start(["--max-attempts", "3", "--kill-grace", "30s", "--report", report,
            "--", .. Child("--pid-file", childPid, "spawn", "setsid", setsidPid, "record:" + childSignals, "ignore-sigterm", "600000")]);
        var tree = new[] { await Wait.ForPidAsync(childPid, run), await Wait.ForPidAsync(setsidPid, run) };
        run.Signal(first);
        await Wait.UntilAsync(() => Lines(childSignals).Length == 1, TimeSpan.FromSeconds(5), "the first signal at the child", run);
        var clock = Stopwatch.StartNew();

        run.Signal(second);
        var result = await run.WaitAsync();

        result.AssertExitCode(expectedCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the second signal did not cut the 30s grace short: {clock.Elapsed.TotalSeconds:0.###}s\n{result}");
        Assert.All(tree, pid => Assert.False(Posix.IsAlive(pid), $"process {pid} outlived budget-run\n{result}"));
        Assert.Single(Lines(childSignals)); // escalated, not forwarded again
        Assert.Equal(expectedCode, RunReport.Load(report).ExitCode);
    }

    [Fact]
    public async Task SecondSigterm_DuringTheSweepOfLeftovers_KillsThemAtOnce()
    {
        // The child ends on the first SIGTERM; its setsid grandchild ignores it, and the sweep would wait 30s.
        var childPid = Scratch.Path("child.pid");
        var leftoverPid = Scratch.Path("leftover.pid");
        using var run = BudgetRunProcess.Start(["--max-attempts", "3", "--kill-grace", "30s",
            "--", .. Child("--pid-file", childPid, "spawn", "setsid", leftoverPid, "record-exit:" + Scratch.Path("child.signals"), "ignore-sigterm", "600000")]);
        var child = await Wait.ForPidAsync(childPid, run);
        var leftover = await Wait.ForPidAsync(leftoverPid, run);
        run.Signal(Posix.SIGTERM);
        await Wait.UntilAsync(() => !Posix.IsAlive(child), TimeSpan.FromSeconds(5), "the child's end", run);
        var clock = Stopwatch.StartNew();

        run.Signal(Posix.SIGTERM);
        var result = await run.WaitAsync();

        result.AssertExitCode(143);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the second SIGTERM did not cut the sweep short: {clock.Elapsed.TotalSeconds:0.###}s\n{result}");
        Assert.False(Posix.IsAlive(leftover), $"the leftover {leftover} outlived budget-run\n{result}");
    }

    [Theory]
    [InlineData(Posix.SIGINT, "SIGINT", "group")]
    [InlineData(Posix.SIGINT, "SIGINT", "setsid")]
    [InlineData(Posix.SIGTERM, "SIGTERM", "group")]
    [InlineData(Posix.SIGTERM, "SIGTERM", "setsid")]
    public async Task OneStopSignal_ReachesEachProcessOfTheTreeOnce(int signal, string name, string mode)
    {
        var childPid = Scratch.Path("child.pid");
        var grandchildPid = Scratch.Path("grandchild.pid");
        var childSignals = Scratch.Path("child.signals");
        var grandchildSignals = Scratch.Path("grandchild.signals");
        using var run = BudgetRunProcess.Start(["--max-attempts", "3", "--kill-grace", "1s",
            "--", .. Child("--pid-file", childPid, "spawn", mode, grandchildPid, "record:" + childSignals, "record-signals", grandchildSignals, "600000")]);
        var tree = new[] { await Wait.ForPidAsync(childPid, run), await Wait.ForPidAsync(grandchildPid, run) };

        run.Signal(signal);
        var result = await run.WaitAsync();

        result.AssertExitCode(128 + signal);
        Assert.All(tree, pid => Assert.False(Posix.IsAlive(pid)));
        Assert.Equal([name], Lines(childSignals));
        Assert.Equal([name], Lines(grandchildSignals));
    }

    [Fact]
    public async Task StopThenSweep_DoNotSignalALingeringGrandchildTwice()
    {
        // The child exits on SIGTERM; the grandchild in its group records it and lingers, so the
        // sweep finds it: it must wait for it (then SIGKILL), not send it a second SIGTERM.
        var grandchildPid = Scratch.Path("grandchild.pid");
        var grandchildSignals = Scratch.Path("grandchild.signals");
        using var run = BudgetRunProcess.Start(["--max-attempts", "3", "--kill-grace", "500ms",
            "--", .. Child("spawn", "group", grandchildPid, "record-exit:" + Scratch.Path("child.signals"), "record-signals", grandchildSignals, "600000")]);
        var grandchild = await Wait.ForPidAsync(grandchildPid, run);

        run.Signal(Posix.SIGTERM);
        var result = await run.WaitAsync();

        result.AssertExitCode(143);
        Assert.False(Posix.IsAlive(grandchild));
        Assert.Equal(["SIGTERM"], Lines(grandchildSignals));
    }

    private static async Task StopAsync(int pid, BudgetRunProcess run)
    {
        Posix.Kill(pid, Posix.SIGSTOP);
        await Wait.UntilAsync(() => Posix.Stat(pid)?.IsStopped == true, TimeSpan.FromSeconds(5), $"process {pid} to stop", run);
    }

    private static string[] Lines(string file) => File.Exists(file) ? File.ReadAllLines(file) : [];
}
