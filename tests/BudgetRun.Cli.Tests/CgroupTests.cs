using System.Diagnostics;
using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// Cgroup containment, on this host's real cgroup v2 (as root, as CI runs): each attempt's child is
/// created in <c>budget-run-RUNID/attempt-N</c>, everything in it dies by <c>cgroup.kill</c> (even a
/// process that is no descendant of budget-run), the cgroup is removed, and its CPU time is in the
/// report. Denied a cgroup, <c>--cgroup auto</c> falls back to the sweep and <c>required</c> exits 2.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class CgroupTests : CliTest
{
    /// <summary>
    /// sh ignoring SIGTERM (its children inherit that): a sleep in its group, a setsid sh with a
    /// sleep and a double-forked (orphaned) sleep, each sleep marked by the unique number $1 and
    /// its pid written to DIR ($0); the child's cgroup goes to DIR/cgroup. Then it waits.
    /// </summary>
    private const string Tree = """
        trap '' TERM
        grep '^0::' /proc/self/cgroup > "$0/cgroup.tmp" && mv "$0/cgroup.tmp" "$0/cgroup"
        setsid sh -c '(sleep 1000.$1 & echo $! > "$0/orphan.pid"); sleep 1001.$1 & echo $! > "$0/session.pid"; wait' "$0" "$1" &
        sleep 1002.$1 & echo $! > "$0/group.pid"
        wait
        """;

    private static readonly string[] _treePids = ["group", "session", "orphan"];

    [CgroupFact]
    public async Task SetsidDoubleForkedTreeIgnoringSigterm_UnderAttemptTimeout_DiesWithItsCgroup()
    {
        var marker = MarkedProcesses.NewMarker();
        using var run = BudgetRunProcess.Start(["--max-attempts", "1", "--attempt-timeout", "1s", "--kill-grace", "300ms",
            "--", "sh", "-c", Tree, Scratch.Directory, marker]);
        var pids = await TreeOfAsync(run);
        var cgroup = await ChildCgroupAsync(run);

        Assert.Matches("^/budget-run-[0-9a-f]{32}/attempt-1$", BelowOwn(cgroup));
        foreach (var (name, pid) in pids)
        {
            Assert.True(CgroupOf(pid) == cgroup, $"{name} ({pid}) is in {CgroupOf(pid)}, not in the attempt's cgroup {cgroup}");
        }
        var result = await run.WaitAsync();

        result.AssertExitCode(124).AssertNoStackTrace();
        Assert.Empty(MarkedProcesses.Alive(marker));
        Assert.False(Directory.Exists(Mount() + cgroup), $"the attempt's cgroup {cgroup} is still there\n{result}");
        Assert.False(Directory.Exists(Path.GetDirectoryName(Mount() + cgroup)), $"the run's cgroup is still there\n{result}");
    }

    [CgroupFact]
    public async Task ProcessMovedIntoTheAttemptsCgroup_IsKilledByCgroupKill_ThoughNoDescendantOfBudgetRun()
    {
        var marker = MarkedProcesses.NewMarker();
        using var run = BudgetRunProcess.Start(["--max-attempts", "1", "--attempt-timeout", "1500ms", "--kill-grace", "300ms",
            "--", "sh", "-c", Tree, Scratch.Directory, marker]);
        await TreeOfAsync(run);
        var cgroup = await ChildCgroupAsync(run);
        // Not budget-run's descendant, so neither its signals to the tree nor its sweep reach it: only the cgroup does.
        using var outsider = Process.Start("sh", ["-c", $"trap '' TERM; exec sleep 1003.{marker}"]);
        File.AppendAllText(Path.Combine(Mount() + cgroup, "cgroup.procs"), outsider.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var result = await run.WaitAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await outsider.WaitForExitAsync(limit.Token);

        result.AssertExitCode(124).AssertNoStackTrace();
        Assert.Equal(128 + Posix.SIGKILL, outsider.ExitCode);
        Assert.Empty(MarkedProcesses.Alive(marker));
        Assert.False(Directory.Exists(Mount() + cgroup), $"the attempt's cgroup {cgroup} is still there\n{result}");
    }

    [CgroupFact]
    public async Task ChildBurningCpu_ReportsItsCpuSeconds()
    {
        var report = Scratch.Path("report.json");

        var result = await RunAsync(["--max-attempts", "1", "--report", report, "--", .. Child("burn-cpu", "300")]);

        result.AssertExitCode(0);
        var document = RunReport.Load(report);
        var cpu = document.Real(Assert.Single(document.Attempts), "cpuSeconds");
        // The cgroup counts at least what the child counted itself (it burned until it had used 0.3 s).
        Assert.True(cpu is >= 0.3 and < 30, $"cpuSeconds {cpu}; the child used at least 0.3 s\n{document.Json}");
    }

    [CgroupFact]
    public async Task CgroupOff_LeavesTheChildInBudgetRunsCgroup_WithoutCpuSeconds()
    {
        var report = Scratch.Path("report.json");

        var result = await RunAsync(["--max-attempts", "1", "--cgroup", "off", "--report", report, "--", "grep", "^0::", "/proc/self/cgroup"]);

        result.AssertExitCode(0);
        Assert.Equal(OwnCgroupLine(), result.StdoutText.Trim());
        var document = RunReport.Load(report);
        Assert.False(document.Has(Assert.Single(document.Attempts), "cpuSeconds"), document.Json);
    }

    [RootFact]
    public async Task Auto_AsAUserWhoCannotMakeACgroup_FallsBackToTheSweep_WhichStillKillsTheTree()
    {
        var marker = MarkedProcesses.NewMarker();
        var report = Scratch.Path("report.json");
        File.SetUnixFileMode(Scratch.Directory, (UnixFileMode)0x1ff);

        var result = await Nobody.RunBudgetRunAsync([
            "--max-attempts", "1", "--attempt-timeout", "1s", "--kill-grace", "300ms", "--report", report,
            "--", "sh", "-c", Tree, Scratch.Directory, marker]);

        result.AssertExitCode(124).AssertNoStackTrace();
        Assert.Equal(OwnCgroupLine(), File.ReadAllText(Scratch.Path("cgroup")).Trim());
        Assert.Empty(MarkedProcesses.Alive(marker));
        var document = RunReport.Load(report);
        Assert.False(document.Has(Assert.Single(document.Attempts), "cpuSeconds"), document.Json);
    }

    [RootFact]
    public async Task Required_AsAUserWhoCannotMakeACgroup_ExitsTwoWithOneLine_NothingStarted()
    {
        File.SetUnixFileMode(Scratch.Directory, (UnixFileMode)0x1ff);

        var result = await Nobody.RunBudgetRunAsync([
            "--cgroup", "required", "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        result.AssertExitCode(2).AssertNoStackTrace();
        Assert.StartsWith("budget-run: --cgroup required: cannot create ", result.AssertOneStderrLine(), StringComparison.Ordinal);
        Assert.Equal(0, Scratch.Count("started"));
    }

    [CgroupFact]
    public async Task DelegatedCgroup_WithoutItsProcsFile_FailsTheProbe_RequiredExitsTwo_AutoRunsWithoutOne()
    {
        using var delegated = new DelegatedCgroup(procsToo: false);
        File.SetUnixFileMode(Scratch.Directory, (UnixFileMode)0x1ff);

        var required = await delegated.RunAsNobodyAsync(["--cgroup", "required", "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);
        var auto = await delegated.RunAsNobodyAsync(["--max-attempts", "1", "--", "grep", "^0::", "/proc/self/cgroup"]);

        required.AssertExitCode(2);
        Assert.Matches("^budget-run: --cgroup required: cannot start a process in .*/budget-run-[0-9a-f]{32}: Permission denied", required.AssertOneStderrLine());
        Assert.Equal(0, Scratch.Count("started"));
        auto.AssertExitCode(0);
        Assert.Equal("0::" + delegated.Path, auto.StdoutText.Trim());
        Assert.Empty(delegated.Children());
    }

    [CgroupFact]
    public async Task DelegatedCgroup_AsAnotherUser_HoldsEachAttemptAndIsLeftClean()
    {
        using var delegated = new DelegatedCgroup(procsToo: true);
        var report = Scratch.Path("report.json");
        File.SetUnixFileMode(Scratch.Directory, (UnixFileMode)0x1ff);

        var result = await delegated.RunAsNobodyAsync(["--cgroup", "required", "--max-attempts", "1", "--report", report,
            "--", "grep", "^0::", "/proc/self/cgroup"]);

        result.AssertExitCode(0).AssertNoStackTrace();
        Assert.Matches($"^0::{delegated.Path}/budget-run-[0-9a-f]{{32}}/attempt-1$", result.StdoutText.Trim());
        var document = RunReport.Load(report);
        Assert.True(document.Has(Assert.Single(document.Attempts), "cpuSeconds"), document.Json);
        Assert.Empty(delegated.Children());
    }

    /// <summary>The cgroup2 mount point: the cgroup paths in /proc are relative to it.</summary>
    private static string Mount()
    {
        var own = OwnCgroupLine()[3..];
        return own == "/" ? CgroupHost.OwnDirectory! : CgroupHost.OwnDirectory![..^own.Length];
    }

    /// <summary><paramref name="cgroup"/> (a path in /proc/PID/cgroup) below the test's own cgroup, which budget-run inherits.</summary>
    private static string BelowOwn(string cgroup)
    {
        var own = OwnCgroupLine()[3..];
        return own == "/" ? cgroup : cgroup[own.Length..];
    }

    private static string OwnCgroupLine() => File.ReadLines("/proc/self/cgroup").First(line => line.StartsWith("0::", StringComparison.Ordinal));

    private static string? CgroupOf(int pid)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/cgroup").FirstOrDefault(line => line.StartsWith("0::", StringComparison.Ordinal))?[3..];
        }
        catch (IOException)
        {
            return null;
        }
    }

    private async Task<Dictionary<string, int>> TreeOfAsync(BudgetRunProcess run)
    {
        var pids = new Dictionary<string, int>();
        foreach (var name in _treePids)
        {
            pids[name] = await Wait.ForPidAsync(Scratch.Path(name + ".pid"), run);
        }
        return pids;
    }

    private async Task<string> ChildCgroupAsync(BudgetRunProcess run)
    {
        var file = Scratch.Path("cgroup");
        await Wait.UntilAsync(() => File.Exists(file), TimeSpan.FromSeconds(10), "the child's cgroup file", run);
        return File.ReadAllText(file).Trim()[3..];
    }

    /// <summary>
    /// A cgroup of the test's own handed to nobody, as systemd delegates one to a user's service
    /// (the directory, and with <c>procsToo</c> its cgroup.procs); budget-run runs in it as nobody.
    /// </summary>
    private sealed class DelegatedCgroup : IDisposable
    {
        private readonly string _directory;

        public DelegatedCgroup(bool procsToo)
        {
            _directory = System.IO.Path.Combine(CgroupHost.OwnDirectory!, $"budget-run-test-{Guid.NewGuid():N}");
            Directory.CreateDirectory(_directory);
            Chown(_directory);
            if (procsToo)
            {
                Chown(System.IO.Path.Combine(_directory, "cgroup.procs"));
            }
            Path = _directory[Mount().Length..];
        }

        /// <summary>Its path as /proc/PID/cgroup shows it.</summary>
        public string Path { get; }

        /// <summary>budget-run as nobody, moved into this cgroup first (by root, before setpriv drops to nobody).</summary>
        public Task<ProcessResult> RunAsNobodyAsync(string[] args) =>
            BudgetRunProcess.RunProgramAsync("sh", ["-c", "echo $$ > \"$0/cgroup.procs\" && exec setpriv \"$@\"", _directory, .. Nobody.SetprivArgs,
                Executables.BudgetRun, .. args]);

        /// <summary>The cgroups left in it.</summary>
        public List<string> Children() => Directory.EnumerateDirectories(_directory).ToList();

        public void Dispose()
        {
            foreach (var child in Directory.EnumerateDirectories(_directory, "*", SearchOption.AllDirectories).Reverse())
            {
                Directory.Delete(child);
            }
            Directory.Delete(_directory);
        }

        private static void Chown(string path)
        {
            using var chown = Process.Start("chown", ["65534:65534", path]);
            chown.WaitForExit();
            Assert.Equal(0, chown.ExitCode);
        }
    }
}
