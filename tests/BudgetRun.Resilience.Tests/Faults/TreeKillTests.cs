using System.Diagnostics;
using System.Globalization;
using System.Net;
using BudgetRun.Resilience.Tests.Infrastructure;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace BudgetRun.Resilience.Tests.Faults;

/// <summary>
/// Fault: the child ignores SIGTERM and leaves grandchildren that ignore it too, in its group, in a
/// session of their own (setsid) and orphaned by a double fork. Promise: after a stop (SIGTERM to
/// budget-run, or POST /kill) all of them are dead within --kill-grace + 1 s, none is ever
/// reparented to init, and none is left behind once budget-run has exited.
/// </summary>
[Collection(TimingCollection.Name)]
public sealed class TreeKillTests(ITestOutputHelper output) : ResilienceTest
{
    private static readonly TimeSpan _grace = TimeSpan.FromSeconds(1);

    /// <summary>
    /// sh with SIGTERM ignored (inherited as ignored by everything it starts): a sleep in its group,
    /// a setsid sleep, a double-forked (orphaned) sleep, and a nested sh with its own sleep; each
    /// writes its pid to DIR, then the child waits.
    /// </summary>
    private const string Tree = """
        trap '' TERM
        sleep 600 & echo $! > "$0/group.pid"
        setsid sleep 600 & echo $! > "$0/session.pid"
        ( sleep 600 & echo $! > "$0/orphan.pid" )
        sh -c 'trap "" TERM; sleep 600 & echo $! > "$1/nested-sleep.pid"; wait' nested "$0" & echo $! > "$0/nested.pid"
        echo $$ > "$0/child.pid"
        wait
        """;

    private static readonly string[] _pidFiles = ["child", "group", "session", "orphan", "nested", "nested-sleep"];

    [Fact]
    public async Task SigtermToBudgetRun_KillsTheWholeTreeThatIgnoresIt_WithinGracePlusOneSecond_NoneReparentedToInit()
    {
        using var run = Launch(["--max-attempts", "3", "--kill-grace", "1s", "--", "sh", "-c", Tree, Scratch.Directory]);
        var tree = await TreeOfAsync(run);

        var clock = Stopwatch.StartNew();
        run.Signal(Posix.SIGTERM);
        var allDead = await WatchTheTreeDieAsync(tree);
        var result = await run.WaitAsync();

        output.WriteLine($"SIGTERM: {tree.Count} processes dead after {allDead.TotalMilliseconds:0} ms; budget-run exited after {clock.Elapsed.TotalMilliseconds:0} ms");
        result.AssertExitCode(143).AssertNoStackTrace();
        Assert.True(allDead <= _grace + TimeSpan.FromSeconds(1), $"the tree took {allDead.TotalMilliseconds:0} ms to die (grace 1s)\n{result}");
        AssertGone(tree);
    }

    [Fact]
    public async Task PostKill_KillsTheWholeTreeThatIgnoresSigterm_WithinGracePlusOneSecond_NoneReparentedToInit()
    {
        using var run = Launch(["--listen", "127.0.0.1:0", "--control-token-file", TokenFile(), "--max-attempts", "3",
            "--kill-grace", "1s", "--", "sh", "-c", Tree, Scratch.Directory]);
        using var client = await ControlPlaneClient.ConnectAsync(run);
        var tree = await TreeOfAsync(run);

        var clock = Stopwatch.StartNew();
        (await client.PostAsync("/kill", "{\"reason\": \"tree kill test\"}", ControlToken)).AssertStatus(HttpStatusCode.Accepted);
        var allDead = await WatchTheTreeDieAsync(tree);
        var result = await run.WaitAsync();

        output.WriteLine($"POST /kill: {tree.Count} processes dead after {allDead.TotalMilliseconds:0} ms; budget-run exited after {clock.Elapsed.TotalMilliseconds:0} ms");
        result.AssertExitCode(77).AssertNoStackTrace();
        Assert.True(allDead <= _grace + TimeSpan.FromSeconds(1), $"the tree took {allDead.TotalMilliseconds:0} ms to die (grace 1s)\n{result}");
        AssertGone(tree);
    }

    /// <summary>Waits for every pid file; checks each process is alive, ignores SIGTERM and descends from budget-run.</summary>
    private async Task<Dictionary<string, int>> TreeOfAsync(BudgetRunProcess run)
    {
        var tree = new Dictionary<string, int>();
        foreach (var name in _pidFiles)
        {
            tree[name] = await Wait.ForPidAsync(Scratch.Path(name + ".pid"), run);
        }
        var descendants = Posix.Descendants(run.Pid).Select(p => p.Pid).ToHashSet();
        foreach (var (name, pid) in tree)
        {
            var stat = Posix.Stat(pid) ?? throw new XunitException($"{name} ({pid}) is already gone");
            Assert.True(descendants.Contains(pid), $"{name} ({pid}, parent {stat.ParentPid}) is not below budget-run ({run.Pid})");
            Assert.NotEqual(1, stat.ParentPid);
            Assert.True(IgnoresSigterm(pid), $"{name} ({pid}) does not ignore SIGTERM: the test would prove nothing");
        }
        return tree;
    }

    /// <summary>
    /// Polls every 5 ms until every process of <paramref name="tree"/> is dead; fails as soon as one
    /// is seen alive with init (1) as its parent. Returns how long it took.
    /// </summary>
    private static async Task<TimeSpan> WatchTheTreeDieAsync(Dictionary<string, int> tree)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            var alive = 0;
            foreach (var (name, pid) in tree)
            {
                if (Posix.Stat(pid) is { IsZombie: false } stat)
                {
                    alive++;
                    if (stat.ParentPid == 1)
                    {
                        throw new XunitException($"{name} ({pid}) was reparented to {stat.ParentPid} while alive, {clock.ElapsedMilliseconds} ms after the stop");
                    }
                }
            }
            if (alive == 0)
            {
                return clock.Elapsed;
            }
            await Task.Delay(5);
        }
        throw new XunitException($"still alive 15 s after the stop: {string.Join(", ", tree.Where(p => Posix.IsAlive(p.Value)).Select(p => p.Key))}");
    }

    /// <summary>After budget-run's exit: no process of the tree exists any more, not even as a zombie.</summary>
    private static void AssertGone(Dictionary<string, int> tree)
    {
        foreach (var (name, pid) in tree)
        {
            var stat = Posix.Stat(pid);
            Assert.True(stat is null || !IsOurs(pid), $"{name} ({pid}) outlived budget-run: {stat}");
        }
    }

    private static bool IsOurs(int pid) => Posix.CommandLine(pid) is var line && (line.StartsWith("sleep", StringComparison.Ordinal) || line.StartsWith("sh", StringComparison.Ordinal) || line.StartsWith("setsid", StringComparison.Ordinal) || line.Length == 0);

    /// <summary>Bit 15 (SIGTERM) of SigIgn in /proc/PID/status.</summary>
    private static bool IgnoresSigterm(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        var mask = ulong.Parse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return (mask & (1UL << (Posix.SIGTERM - 1))) != 0;
    }
}
