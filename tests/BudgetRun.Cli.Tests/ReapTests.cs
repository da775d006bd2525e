using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// What a SIGKILLed budget-run leaves behind, and <c>budget-run reap</c> (or the next run on the
/// same budget key) killing it: real budget-run processes SIGKILLed mid-attempt, with a tree that
/// ignores SIGTERM and escapes the process group (setsid, double fork, a cleared environment), on
/// the real cgroup v2 and without one. Each test has a state directory of its own, so that no
/// reap reaches another test's processes.
/// </summary>
public sealed partial class ReapTests : CliTest
{
    /// <summary>
    /// sh ignoring SIGTERM (its children inherit that), which starts: a setsid sh (marked too) with a sleep, a
    /// double-forked sleep, and a sleep with a cleared environment in its own group; each sleep is
    /// marked by the unique number $1 and writes its pid to DIR ($0). Then it waits.
    /// </summary>
    private const string Tree = """
        trap '' TERM
        setsid sh -c '(sleep 2000.$1 & echo $! > "$0/orphan.pid"); sleep 2001.$1 & echo $! > "$0/session.pid"; wait' "$0" "$1" &
        env -i sleep 2002.$1 & echo $! > "$0/group.pid"
        wait
        """;

    private static readonly string[] _treePids = ["orphan", "session", "group"];

    [CgroupFact]
    public async Task SigkilledBudgetRun_WithACgroup_ReapKillsTheWholeTree_RemovesTheCgroupAndTheRecord()
    {
        var marker = MarkedProcesses.NewMarker();
        try
        {
            var (record, pids) = await SigkillMidAttemptAsync(["--cgroup", "required"], marker);
            var cgroup = Field(record, "cgroup");
            Assert.True(Directory.Exists(cgroup), $"the run's cgroup {cgroup} should still hold the leftovers");

            var reap = await ReapAsync();

            reap.AssertExitCode(0).AssertNoStackTrace();
            Assert.Matches(@"^run [0-9a-f]{32}: its budget-run \(pid \d+\) was killed; killed 4 process\(es\)$", reap.StdoutText.Trim());
            Assert.Empty(MarkedProcesses.Alive(marker));
            Assert.All(pids.Values, pid => Assert.False(Posix.IsAlive(pid), $"pid {pid} survived the reap"));
            Assert.False(Directory.Exists(cgroup), $"the run's cgroup {cgroup} is still there");
            Assert.Empty(Records());
        }
        finally
        {
            KillMarked(marker);
        }
    }

    [Fact]
    public async Task SigkilledBudgetRun_WithoutACgroup_ReapFindsTheGroupAndTheEscapedProcessesByTheirRunId()
    {
        var marker = MarkedProcesses.NewMarker();
        try
        {
            var (_, pids) = await SigkillMidAttemptAsync(["--cgroup", "off"], marker);
            // The setsid ones left the group and keep BUDGET_RUN_RUN_ID; the env -i one cleared it and stayed in the group.
            Assert.NotEqual(Posix.Stat(pids["session"])!.ProcessGroup, Posix.Stat(pids["group"])!.ProcessGroup);

            var reap = await ReapAsync();

            reap.AssertExitCode(0).AssertNoStackTrace();
            Assert.Matches(@"killed 4 process\(es\)$", reap.StdoutText.Trim());
            Assert.Empty(MarkedProcesses.Alive(marker));
            Assert.Empty(Records());
        }
        finally
        {
            KillMarked(marker);
        }
    }

    [Fact]
    public async Task DryRun_ListsWithoutKilling_ThenReapKills_ThenNothingIsLeft()
    {
        var marker = MarkedProcesses.NewMarker();
        try
        {
            await SigkillMidAttemptAsync(["--cgroup", "off"], marker);

            var dry = await ReapAsync("--dry-run");
            var alive = MarkedProcesses.Alive(marker).Count;
            var reap = await ReapAsync();
            var again = await ReapAsync();

            dry.AssertExitCode(0);
            Assert.Matches(@"was killed; would kill 4 process\(es\)$", dry.StdoutText.Trim());
            Assert.Equal(4, alive);
            reap.AssertExitCode(0);
            Assert.Empty(MarkedProcesses.Alive(marker));
            again.AssertExitCode(0);
            Assert.Equal($"nothing to reap in {State}", again.StdoutText.Trim());
        }
        finally
        {
            KillMarked(marker);
        }
    }

    [Fact]
    public async Task NextRunOnTheSameKey_ReapsWhatTheKilledRunLeft_ARunOnAnotherKeyDoesNot()
    {
        var marker = MarkedProcesses.NewMarker();
        var ledger = "sqlite:" + Scratch.Path("ledger.db");
        string[] keyed(string key) => ["--ledger", ledger, "--budget-key", key, "--max-cost-cents", "100"];
        try
        {
            await SigkillMidAttemptAsync([.. keyed("reap-me"), "--cgroup", "off"], marker);

            var other = await RunInStateAsync([.. keyed("someone-else"), "--max-attempts", "1", "--", "true"]);
            var survivedOther = MarkedProcesses.Alive(marker).Count;
            var same = await RunInStateAsync([.. keyed("reap-me"), "--max-attempts", "1", "--", "true"]);

            other.AssertExitCode(0);
            Assert.Equal(4, survivedOther);
            same.AssertExitCode(0).AssertNoStackTrace();
            Assert.Contains(same.StderrLines, line =>
                ReapedLine().IsMatch(line) && line.Contains("reaped 4 process(es) left behind by run", StringComparison.Ordinal)
                && line.Contains("on budget key reap-me", StringComparison.Ordinal));
            Assert.Empty(MarkedProcesses.Alive(marker));
            Assert.Empty(Records());
        }
        finally
        {
            KillMarked(marker);
        }
    }

    [Fact]
    public async Task ARunningBudgetRun_IsLeftAlone_AndItsRecordGoesWhenItEnds()
    {
        using var run = BudgetRunProcess.Start(["--max-attempts", "1", "--cgroup", "off", "--", "sh", "-c", "echo $$ > \"$0/child.pid\"; exec sleep 30", Scratch.Directory],
            InState());
        var child = await Wait.ForPidAsync(Scratch.Path("child.pid"), run);

        var reap = await ReapAsync();
        var recordsWhileRunning = Records().Count;
        run.Signal(Posix.SIGTERM);
        var result = await run.WaitAsync();

        reap.AssertExitCode(0);
        Assert.Matches($@"^run [0-9a-f]{{32}}: its budget-run \(pid {run.Pid}\) still runs; left alone$", reap.StdoutText.Trim());
        Assert.Equal(1, recordsWhileRunning);
        result.AssertExitCode(143);
        Assert.False(Posix.IsAlive(child));
        Assert.Empty(Records());
    }

    [Fact]
    public async Task ARunOfManyAttempts_RecordsOnlyTheGroupsThatStillHaveProcesses()
    {
        // Nine attempts that fail at once, then one that lives: only its group is worth a reap.
        using var run = BudgetRunProcess.Start(["--max-attempts", "10", "--base-delay", "1ms", "--max-delay", "1ms", "--cgroup", "off", "--",
            "sh", "-c", "[ \"$BUDGET_RUN_ATTEMPT\" -lt 10 ] && exit 1; echo $$ > \"$0/child.pid\"; exec sleep 30", Scratch.Directory], InState());
        var child = await Wait.ForPidAsync(Scratch.Path("child.pid"), run);

        using var record = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Assert.Single(Records())));
        var groups = record.RootElement.GetProperty("groups").EnumerateArray().Select(group => group.GetProperty("pgid").GetInt32()).ToList();
        run.Signal(Posix.SIGTERM);
        (await run.WaitAsync()).AssertExitCode(143);

        Assert.Equal([child], groups);
        Assert.Empty(Records());
    }

    [Fact]
    public async Task ARecordWhosePidsWereReused_KillsNothingThatStartedBeforeItsSupervisor()
    {
        // A process of the same user that happens to hold a recorded pid and the run's id in its
        // environment, started before the dead supervisor: it is not the run's, and survives.
        var runId = Guid.NewGuid().ToString("N");
        using var bystander = Process.Start(new ProcessStartInfo("setsid", ["sleep", "60"]) { Environment = { ["BUDGET_RUN_RUN_ID"] = runId } })!;
        await Wait.UntilAsync(() => Posix.Stat(bystander.Id) is { ProcessGroup: var group } && group == bystander.Id, TimeSpan.FromSeconds(5), "setsid");
        await Task.Delay(50); // start times count in clock ticks (10 ms): the supervisor's must come after
        using var supervisor = Process.Start("sleep", ["60"])!;
        var supervisorStart = StartTime(supervisor.Id);
        supervisor.Kill();
        await supervisor.WaitForExitAsync();
        try
        {
            Directory.CreateDirectory(State, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.WriteAllText(Path.Combine(State, $"run-{runId}.json"), $$"""
                {"version":1,"runId":"{{runId}}","supervisorPid":{{supervisor.Id}},"supervisorStart":{{supervisorStart}},"key":null,"cgroup":null,
                 "groups":[{"pgid":{{bystander.Id}},"leaderStart":{{supervisorStart}}}]}
                """);

            var reap = await ReapAsync();

            reap.AssertExitCode(0);
            Assert.EndsWith("killed 0 process(es)", reap.StdoutText.Trim(), StringComparison.Ordinal);
            Assert.True(Posix.IsAlive(bystander.Id), "a process that started before the record's supervisor was killed");
            Assert.Empty(Records());
        }
        finally
        {
            bystander.Kill();
        }
    }

    [Fact]
    public async Task FilesThatAreNoRecords_AreSkippedWithOneWarningEach_TheRestIsReaped()
    {
        Directory.CreateDirectory(State, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(State, "run-garbage.json"), "not json {");
        File.WriteAllText(Path.Combine(State, "run-wrongversion.json"), """{"version":9,"runId":"ab","supervisorPid":5,"supervisorStart":5}""");
        File.WriteAllText(Path.Combine(State, "run-negative.json"), """{"version":1,"runId":"ab","supervisorPid":-1,"supervisorStart":5}""");
        File.WriteAllBytes(Path.Combine(State, "run-binary.json"), [0xff, 0xfe, 0x00, 0x01]);
        File.CreateSymbolicLink(Path.Combine(State, "run-link.json"), "/etc/passwd");
        File.WriteAllText(Path.Combine(State, "unrelated.txt"), "left alone");

        var reap = await ReapAsync();

        reap.AssertExitCode(0).AssertNoStackTrace();
        Assert.Equal($"nothing to reap in {State}", reap.StdoutText.Trim());
        Assert.Equal(5, reap.StderrLines.Length);
        Assert.All(reap.StderrLines, line => Assert.StartsWith($"budget-run: reap: ignoring {State}/run-", line, StringComparison.Ordinal));
        Assert.Contains(reap.StderrLines, line => line.Contains("run-link.json: not a regular file of this user's", StringComparison.Ordinal));
        Assert.True(File.Exists("/etc/passwd"));
    }

    [Theory]
    [InlineData("0777", "is writable by others (mode 777); it must be 0700")]
    [InlineData("0770", "is writable by others (mode 770); it must be 0700")]
    [InlineData("file", "is not a directory")]
    [InlineData("link", "is not a directory")]
    public async Task AStateDirectoryThatIsNotPrivate_IsRefused_ExitTwo(string kind, string why)
    {
        switch (kind)
        {
            case "file":
                File.WriteAllText(State, "");
                break;
            case "link":
                Directory.CreateDirectory(Scratch.Path("target"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                Directory.CreateSymbolicLink(State, Scratch.Path("target"));
                break;
            default:
                Directory.CreateDirectory(State);
                File.SetUnixFileMode(State, (UnixFileMode)Convert.ToInt32(kind, 8));
                break;
        }

        var reap = await ReapAsync();

        reap.AssertExitCode(2).AssertNoStackTrace();
        Assert.Equal($"budget-run: reap: the state directory cannot be trusted: {State} {why} (see budget-run --help)", reap.AssertOneStderrLine());
    }

    [Theory]
    [InlineData("--budget-key", "bad key", "--budget-key: 'bad key' is not a budget key")]
    [InlineData("--state-dir", "", "--state-dir is an empty string")]
    [InlineData("--dry-run", "yes", "Unrecognized command or argument 'yes'")]
    public async Task BadFlags_OneLineExitTwo(string flag, string value, string message)
    {
        var result = await BudgetRunProcess.RunAsync(["reap", flag, value]);

        result.AssertExitCode(2).AssertNoStackTrace();
        Assert.Contains(message, result.AssertOneStderrLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingStateDirectory_IsNothingToReap()
    {
        var reap = await ReapAsync();

        reap.AssertExitCode(0);
        Assert.Equal($"nothing to reap: {State} does not exist", reap.StdoutText.Trim());
        Assert.False(Directory.Exists(State));
    }

    [Fact]
    public async Task ARunThatEnds_LeavesNoRecord_InTheDefaultDirectoryUnderXdgRuntimeDir()
    {
        var runtime = Scratch.Path("xdg");
        Directory.CreateDirectory(runtime, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var settings = new RunSettings { Environment = new Dictionary<string, string?> { ["BUDGET_RUN_STATE_DIR"] = null, ["XDG_RUNTIME_DIR"] = runtime } };

        // Only *.json: as the child starts, budget-run may be rewriting the record (run-ID.json.tmp,
        // then renamed over run-ID.json, so the record itself is always there).
        var result = await BudgetRunProcess.RunAsync(["--max-attempts", "1", "--", "sh", "-c", "cd \"$XDG_RUNTIME_DIR/budget-run\" && ls -- *.json"], settings);

        result.AssertExitCode(0);
        // While the attempt ran, its run's record was there; after the run, the directory is empty.
        Assert.Matches("^run-[0-9a-f]{32}.json$", result.StdoutText.Trim());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(runtime, "budget-run")));
        Assert.Equal("700", Convert.ToString((int)File.GetUnixFileMode(Path.Combine(runtime, "budget-run")), 8));
    }

    private string State => Scratch.Path("state");

    private RunSettings InState() => new() { Environment = new Dictionary<string, string?> { ["BUDGET_RUN_STATE_DIR"] = State } };

    private Task<ProcessResult> ReapAsync(params string[] args) => BudgetRunProcess.RunAsync(["reap", .. args], InState());

    private Task<ProcessResult> RunInStateAsync(string[] args) => BudgetRunProcess.RunAsync(args, InState());

    private List<string> Records() =>
        Directory.Exists(State) ? Directory.EnumerateFiles(State, "run-*.json").ToList() : [];

    /// <summary>
    /// Starts a run of <see cref="Tree"/> with <paramref name="flags"/>, waits for the whole tree, and
    /// SIGKILLs budget-run: its child dies of the parent-death signal, the rest is left running.
    /// Returns the run's record (read before the kill) and the tree's pids.
    /// </summary>
    private async Task<(string Record, Dictionary<string, int> Pids)> SigkillMidAttemptAsync(string[] flags, string marker)
    {
        using var run = BudgetRunProcess.Start([.. flags, "--max-attempts", "1", "--kill-grace", "300ms", "--", "sh", "-c", Tree, Scratch.Directory, marker],
            InState());
        var pids = new Dictionary<string, int>();
        foreach (var name in _treePids)
        {
            pids[name] = await Wait.ForPidAsync(Scratch.Path(name + ".pid"), run);
        }
        var record = File.ReadAllText(Assert.Single(Records()));
        run.Signal(Posix.SIGKILL);
        await run.WaitAsync();
        Assert.Equal(4, MarkedProcesses.Alive(marker).Count); // the setsid sh too: its arguments hold the marker
        return (record, pids);
    }

    private static string Field(string json, string name) =>
        System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty(name).GetString()!;

    private static long StartTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19], CultureInfo.InvariantCulture);
    }

    private static void KillMarked(string marker)
    {
        foreach (var pid in MarkedProcesses.Alive(marker))
        {
            Posix.Kill(pid, Posix.SIGKILL);
        }
    }

    [GeneratedRegex(@"^\S+ budget-run WRN reaped \d+ process\(es\)")]
    private static partial Regex ReapedLine();
}
