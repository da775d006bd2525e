using System.Diagnostics;
using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>Signals to budget-run: SIGTERM/SIGINT end the run (143/130), the others reach the child.</summary>
[Collection(SerialCollection.Name)]
public sealed class SignalTests : CliTest
{
    [Theory]
    [InlineData(Posix.SIGTERM, 143)]
    [InlineData(Posix.SIGINT, 130)]
    public async Task StopSignal_EndsTheRun_NoFurtherAttempt_TreeDead(int signal, int expectedCode)
    {
        var childPid = Scratch.Path("child.pid");
        var grandchildPid = Scratch.Path("grandchild.pid");
        var report = Scratch.Path("report.json");
        using var run = BudgetRunProcess.Start(["--max-attempts", "3", "--base-delay", "10ms", "--kill-grace", "500ms",
            "--report", report,
            "--", .. Child("--count", Scratch.Path("attempts"), "--pid-file", childPid,
                "spawn", "group", grandchildPid, "sleep:600000", "sleep", "600000")]);
        var child = await Wait.ForPidAsync(childPid, run);
        var grandchild = await Wait.ForPidAsync(grandchildPid, run);

        run.Signal(signal);
        var result = await run.WaitAsync();

        result.AssertExitCode(expectedCode).AssertFasterThan(TimeSpan.FromSeconds(10));
        await Task.Delay(300); // a further attempt would have started by now
        Assert.Equal(1, Scratch.Count("attempts"));
        Assert.False(Posix.IsAlive(child), $"the child {child} outlived budget-run\n{result}");
        Assert.False(Posix.IsAlive(grandchild), $"the grandchild {grandchild} outlived budget-run\n{result}");
        var loaded = RunReport.Load(report);
        Assert.Equal("interrupted", loaded.Outcome);
        Assert.Equal(expectedCode, loaded.ExitCode);
    }

    [Fact]
    public async Task Sigterm_StillWritesTheReport_WithoutATempFile()
    {
        var directory = Directory.CreateDirectory(Scratch.Path("reports")).FullName;
        var report = Path.Combine(directory, "run.json");
        var childPid = Scratch.Path("child.pid");
        using var run = BudgetRunProcess.Start(["--max-attempts", "3", "--kill-grace", "300ms", "--cost-per-attempt-cents", "7",
            "--report", report, "--", .. Child("--pid-file", childPid, "sleep", "600000")]);
        await Wait.ForPidAsync(childPid, run);

        run.Signal(Posix.SIGTERM);
        var result = await run.WaitAsync();

        result.AssertExitCode(143);
        Assert.Equal(["run.json"], Directory.GetFileSystemEntries(directory).Select(Path.GetFileName));
        var loaded = RunReport.Load(report);
        Assert.Equal("interrupted", loaded.Outcome);
        Assert.Equal(143, loaded.ExitCode);
        Assert.Equal(7, loaded.CostCents);
        var attempt = Assert.Single(loaded.Attempts);
        Assert.Equal("killed", loaded.Text(attempt, "outcome"));
        Assert.Equal(7, loaded.Number(attempt, "costCents"));
    }

    [Theory]
    [InlineData(Posix.SIGTERM, 143)]
    [InlineData(Posix.SIGINT, 130)]
    public async Task StopSignalDuringBackoff_EndsTheRunAtOnce(int signal, int expectedCode)
    {
        using var run = BudgetRunProcess.Start(["--max-attempts", "3", "--base-delay", "30s", "--max-delay", "30s",
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "1")]);
        await Wait.UntilAsync(() => Scratch.Count("attempts") == 1, TimeSpan.FromSeconds(15), "the first attempt", run);
        await Task.Delay(500);
        var clock = Stopwatch.StartNew();

        run.Signal(signal);
        var result = await run.WaitAsync();

        result.AssertExitCode(expectedCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"budget-run took {clock.Elapsed.TotalSeconds:0.###}s to stop\n{result}");
        Assert.Equal(1, Scratch.Count("attempts"));
    }

    [Theory]
    [InlineData(Posix.SIGTERM, "SIGTERM", 143)]
    [InlineData(Posix.SIGINT, "SIGINT", 130)]
    public async Task StopSignal_IsForwardedToTheChild_ThenSigkillAfterGrace(int signal, string name, int expectedCode)
    {
        var childPid = Scratch.Path("child.pid");
        var received = Scratch.Path("signals");
        using var run = BudgetRunProcess.Start(["--max-attempts", "3", "--kill-grace", "700ms",
            "--", .. Child("--pid-file", childPid, "record-signals", received, "600000")]);
        var child = await Wait.ForPidAsync(childPid, run);
        var clock = Stopwatch.StartNew();

        run.Signal(signal);
        var result = await run.WaitAsync();

        result.AssertExitCode(expectedCode);
        Assert.Contains(name, File.Exists(received) ? File.ReadAllLines(received) : []);
        Assert.False(Posix.IsAlive(child), $"the child {child} outlived budget-run\n{result}");
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(600),
            $"the child, which survives {name}, was killed after {clock.Elapsed.TotalSeconds:0.###}s, before the 700ms grace\n{result}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"budget-run took {clock.Elapsed.TotalSeconds:0.###}s to stop\n{result}");
    }

    [Theory]
    [InlineData(Posix.SIGHUP, "SIGHUP")]
    [InlineData(Posix.SIGUSR1, "SIGUSR1")]
    [InlineData(Posix.SIGUSR2, "SIGUSR2")]
    [InlineData(Posix.SIGQUIT, "SIGQUIT")]
    public async Task OtherSignals_ReachTheChild_AndDoNotEndTheRun(int signal, string name)
    {
        var childPid = Scratch.Path("child.pid");
        var received = Scratch.Path("signals");
        using var run = BudgetRunProcess.Start(["--max-attempts", "3", "--kill-grace", "300ms",
            "--", .. Child("--count", Scratch.Path("attempts"), "--pid-file", childPid, "record-signals", received, "600000")]);
        var child = await Wait.ForPidAsync(childPid, run);

        run.Signal(signal);
        var arrived = await Wait.ForAsync(() => File.Exists(received) && File.ReadAllLines(received).Contains(name), TimeSpan.FromSeconds(3));
        await Task.Delay(300);

        Assert.True(arrived, $"{name} to budget-run did not reach the child\n{run.StderrSoFar}");
        Assert.False(run.HasExited, $"{name} ended budget-run\n{run.StderrSoFar}");
        Assert.True(Posix.IsAlive(child), $"the child died of {name}");
        Assert.Equal(1, Scratch.Count("attempts"));
        run.Signal(Posix.SIGTERM);
        (await run.WaitAsync()).AssertExitCode(143);
    }

    [Fact]
    public async Task SeveralSignals_AllReachTheChildInOrder()
    {
        var childPid = Scratch.Path("child.pid");
        var received = Scratch.Path("signals");
        using var run = BudgetRunProcess.Start(["--max-attempts", "1", "--kill-grace", "300ms",
            "--", .. Child("--pid-file", childPid, "record-signals", received, "600000")]);
        await Wait.ForPidAsync(childPid, run);
        string[] sent = ["SIGUSR1", "SIGHUP", "SIGUSR2", "SIGQUIT", "SIGUSR1"];

        for (var i = 0; i < sent.Length; i++)
        {
            run.Signal(sent[i] switch { "SIGUSR1" => Posix.SIGUSR1, "SIGUSR2" => Posix.SIGUSR2, "SIGHUP" => Posix.SIGHUP, _ => Posix.SIGQUIT });
            var count = i + 1;
            await Wait.UntilAsync(() => File.Exists(received) && File.ReadAllLines(received).Length >= count,
                TimeSpan.FromSeconds(3), $"signal {count} ({sent[i]}) at the child", run);
        }

        Assert.Equal(sent, File.ReadAllLines(received));
        Assert.False(run.HasExited);
        run.Signal(Posix.SIGTERM);
        (await run.WaitAsync()).AssertExitCode(143);
    }

    [Fact]
    public async Task SigintIgnoredAtStart_AsInABackgroundJob_StaysIgnored()
    {
        // sh starts a background job with SIGINT ignored; budget-run must not turn it back on.
        var childPid = Scratch.Path("child.pid");
        var received = Scratch.Path("signals");
        using var shell = BudgetRunProcess.StartProgram("sh",
            ["-c", "\"$0\" \"$@\" & wait $!", Executables.BudgetRun, "--max-attempts", "1", "--kill-grace", "300ms",
                "--", .. Child("--pid-file", childPid, "record-signals", received, "600000")]);
        var child = await Wait.ForPidAsync(childPid, shell);
        var budgetRun = Posix.Stat(child)?.ParentPid ?? throw new Xunit.Sdk.XunitException("the child is gone");
        Assert.Contains("budget-run", Posix.CommandLine(budgetRun), StringComparison.Ordinal);

        Posix.Kill(budgetRun, Posix.SIGINT);
        await Task.Delay(500);

        Assert.True(Posix.IsAlive(budgetRun), $"SIGINT ended budget-run although it was started with SIGINT ignored\n{shell.StderrSoFar}");
        Assert.True(Posix.IsAlive(child), "the child died of a SIGINT that budget-run was started to ignore");
        Posix.Kill(budgetRun, Posix.SIGTERM);
        (await shell.WaitAsync()).AssertExitCode(143);
    }

    [Fact]
    public async Task YesPipedToHead_ExitsWithSigpipe141()
    {
        // As `yes | head -1` does: yes dies of SIGPIPE once head has gone, and budget-run exits 128 + 13.
        var script = "\"$0\" --max-attempts 1 -- yes | head -n 1; echo \"status=${PIPESTATUS[0]}\"";
        using var run = BudgetRunProcess.StartProgram("bash", ["-c", script, Executables.BudgetRun],
            new RunSettings { Timeout = TimeSpan.FromSeconds(15) });

        var result = await run.WaitAsync();

        result.AssertExitCode(0).AssertFasterThan(TimeSpan.FromSeconds(5));
        Assert.Equal("y\nstatus=141\n", result.StdoutText);
    }

    [Fact]
    public async Task YesPipedToHead_WithRetries_EachAttemptEndsBySigpipe()
    {
        var script = "\"$0\" --max-attempts 3 --base-delay 10ms -- yes | head -n 1; echo \"status=${PIPESTATUS[0]}\"";
        using var run = BudgetRunProcess.StartProgram("bash", ["-c", script, Executables.BudgetRun],
            new RunSettings { Timeout = TimeSpan.FromSeconds(15) });

        var result = await run.WaitAsync();

        result.AssertExitCode(0).AssertFasterThan(TimeSpan.FromSeconds(5));
        Assert.Equal("y\nstatus=141\n", result.StdoutText);
    }
}
