using System.Diagnostics;
using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// Every process an attempt starts is budget-run's to stop and reap: grandchildren in the child's
/// group or escaped with setsid, the child when budget-run is SIGKILLed, and no zombies meanwhile.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class ProcessTreeTests : CliTest
{
    private static readonly TimeSpan _grace = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task GroupGrandchildLeftBehind_IsKilledWhenTheAttemptEnds()
    {
        var grandchildPid = Scratch.Path("grandchild.pid");
        using var run = BudgetRunProcess.Start(["--max-attempts", "2", "--base-delay", "30s", "--max-delay", "30s", "--kill-grace", "500ms",
            "--", .. Child("spawn", "group", grandchildPid, "exit:1", "sleep", "600000")]);
        var grandchild = await Wait.ForPidAsync(grandchildPid, run);

        // budget-run is now waiting out a 30s backoff: the leftover must be gone long before.
        var died = await Wait.ForDeathAsync(grandchild, _grace + TimeSpan.FromSeconds(1.5));

        Assert.False(run.HasExited, $"budget-run ended early\n{run.StderrSoFar}");
        Assert.True(died, $"the grandchild {grandchild} left in the child's group still runs after the attempt ended\n{run.StderrSoFar}");
        run.Signal(Posix.SIGTERM);
        (await run.WaitAsync()).AssertExitCode(143);
    }

    [Fact]
    public async Task GroupGrandchildIgnoringSigterm_IsKilledAfterGrace()
    {
        var grandchildPid = Scratch.Path("grandchild.pid");
        using var run = BudgetRunProcess.Start(["--max-attempts", "1", "--kill-grace", "500ms",
            "--", .. Child("spawn", "group", grandchildPid, "exit:0", "ignore-sigterm", "600000")]);
        var grandchild = await Wait.ForPidAsync(grandchildPid, run);

        var result = await run.WaitAsync();

        result.AssertExitCode(0).AssertFasterThan(TimeSpan.FromSeconds(5));
        Assert.False(Posix.IsAlive(grandchild), $"the grandchild {grandchild} outlived budget-run\n{result}");
    }

    [Fact]
    public async Task SetsidGrandchild_IsKilledAfterGrace()
    {
        var childPid = Scratch.Path("child.pid");
        var grandchildPid = Scratch.Path("grandchild.pid");
        using var run = BudgetRunProcess.Start(["--max-attempts", "1", "--kill-grace", "1s",
            "--", .. Child("--pid-file", childPid, "spawn", "setsid", grandchildPid, "exit:0", "ignore-sigterm", "600000")]);
        var grandchild = await Wait.ForPidAsync(grandchildPid, run);
        var clock = Stopwatch.StartNew();
        var child = await Wait.ForPidAsync(childPid, run);
        Assert.NotEqual(child, Posix.Stat(grandchild)?.Session);
        Assert.Equal(grandchild, Posix.Stat(grandchild)?.Session); // it escaped into a session of its own

        // Until it dies, its parent is the child and then budget-run (the subreaper), never init.
        var parents = new HashSet<int>();
        while (Posix.Stat(grandchild) is { IsZombie: false } stat && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            parents.Add(stat.ParentPid);
            await Task.Delay(10);
        }
        var diedAfter = clock.Elapsed;
        var result = await run.WaitAsync();

        result.AssertExitCode(0);
        Assert.False(Posix.IsAlive(grandchild), $"the setsid grandchild {grandchild} outlived budget-run\n{result}");
        Assert.True(diedAfter < TimeSpan.FromSeconds(2),
            $"the setsid grandchild took {diedAfter.TotalSeconds:0.###}s to die (kill-grace 1s)\n{result}");
        Assert.True(parents.IsSubsetOf([child, run.Pid]),
            $"the grandchild's parent was {string.Join(", ", parents)}; expected only the child {child} and budget-run {run.Pid}");
        Assert.Contains(run.Pid, parents);
    }

    [Fact]
    public async Task SetsidGrandchild_DoesNotOutliveBudgetRun()
    {
        var grandchildPid = Scratch.Path("grandchild.pid");
        var result = await RunAsync(["--max-attempts", "1", "--kill-grace", "500ms",
            "--", .. Child("spawn", "setsid", grandchildPid, "exit:0", "sleep", "600000")]);

        result.AssertExitCode(0);
        var grandchild = await Wait.ForPidAsync(grandchildPid);
        Assert.False(Posix.IsAlive(grandchild), $"the setsid grandchild {grandchild} outlived budget-run\n{result}");
    }

    [Fact]
    public async Task SigkilledSupervisor_ChildGetsParentDeathSignal()
    {
        var childPid = Scratch.Path("child.pid");
        using var run = BudgetRunProcess.Start(["--max-attempts", "1",
            "--", .. Child("--pid-file", childPid, "ignore-sigterm", "600000")]);
        var child = await Wait.ForPidAsync(childPid, run);
        Assert.Equal(run.Pid, Posix.Stat(child)?.ParentPid);

        run.Signal(Posix.SIGKILL);
        await run.WaitAsync();

        Assert.True(await Wait.ForDeathAsync(child, TimeSpan.FromSeconds(2)),
            $"the child {child} kept running after budget-run was SIGKILLed");
    }

    [Fact]
    public async Task ChildIgnoringSigterm_IsSigkilledAfterKillGrace()
    {
        var childPid = Scratch.Path("child.pid");
        // Timed from before the start: the attempt (its timeout, then its grace) begins after it,
        // so no lag in seeing the pid file can make a correct kill look early.
        var clock = Stopwatch.StartNew();
        using var run = BudgetRunProcess.Start(["--max-attempts", "1", "--attempt-timeout", "300ms", "--kill-grace", "700ms",
            "--", .. Child("--pid-file", childPid, "ignore-sigterm", "600000")]);
        var child = await Wait.ForPidAsync(childPid, run);

        var result = await run.WaitAsync();

        result.AssertExitCode(124);
        Assert.False(Posix.IsAlive(child), $"the child {child} outlived budget-run\n{result}");
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(1000),
            $"the child was gone {clock.Elapsed.TotalSeconds:0.###}s after it started: SIGKILL came before the timeout and the grace\n{result}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"SIGKILL came long after the grace\n{result}");
    }

    [Fact]
    public async Task NoZombies_WhileBackingOff()
    {
        // The child leaves a grandchild that exits on its own 300ms later, reparented to budget-run.
        var grandchildPid = Scratch.Path("grandchild.pid");
        using var run = BudgetRunProcess.Start(["--max-attempts", "2", "--base-delay", "30s", "--max-delay", "30s", "--kill-grace", "500ms",
            "--", .. Child("spawn", "group", grandchildPid, "exit:1", "sleep", "300")]);
        await Wait.ForPidAsync(grandchildPid, run);
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        var children = Posix.Children(run.Pid);

        Assert.False(run.HasExited, $"budget-run ended early\n{run.StderrSoFar}");
        Assert.True(children.Count == 0,
            $"budget-run has children while it waits out its backoff: {string.Join(", ", children)}");
        run.Signal(Posix.SIGTERM);
        (await run.WaitAsync()).AssertExitCode(143);
    }

    [Fact]
    public async Task NoZombies_AfterManyShortAttempts()
    {
        using var run = BudgetRunProcess.Start(["--max-attempts", "3", "--base-delay", "10ms", "--max-delay", "10ms",
            "--", "sh", "-c", "sleep 0.1 & sleep 0.1 & exit 1"]);
        var zombies = new HashSet<int>();
        while (!run.HasExited)
        {
            // A zombie lives a few milliseconds until it is reaped; one seen twice 200ms apart was forgotten.
            foreach (var child in Posix.Children(run.Pid).Where(child => child.IsZombie))
            {
                zombies.Add(child.Pid);
            }
            await Task.Delay(200);
            zombies.IntersectWith(Posix.Children(run.Pid).Where(child => child.IsZombie).Select(child => child.Pid));
            Assert.True(zombies.Count == 0, $"budget-run left zombies: {string.Join(", ", zombies)}\n{run.StderrSoFar}");
        }

        (await run.WaitAsync()).AssertExitCode(1);
    }
}
