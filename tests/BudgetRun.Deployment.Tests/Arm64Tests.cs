using System.Net;
using System.Text.Json;

namespace BudgetRun.Deployment.Tests;

/// <summary>
/// The linux-arm64 Native AOT binary, cross-compiled on x64 (eng/test.sh publishes it to
/// artifacts/aot-arm64, or BUDGET_RUN_ARM64_EXE names it), run under qemu-aarch64-static:
/// its version, a retried run, the budget, its statically linked SQLite ledger, SIGTERM,
/// a timeout and the control plane. qemu-user 7 refuses PR_SET_CHILD_SUBREAPER, so budget-run runs
/// there without being a subreaper (and says so); the process-tree sweep of escaped descendants and
/// the cgroup paths are not what these tests cover: they run on x64.
/// </summary>
public sealed class Arm64Tests : IDisposable
{
    private const string Qemu = "/usr/bin/qemu-aarch64-static";

    private readonly Scratch _scratch = new();

    [Arm64Fact]
    public async Task BothBinaries_AreAarch64Executables_OfTheSameVersionAndCommit()
    {
        var x64 = await BudgetRunProcess.RunAsync(["--version"]);
        foreach (var binary in new[] { Arm64.Binary, Path.Combine(Path.GetDirectoryName(Arm64.Binary)!, "budget-run-net") })
        {
            var header = new byte[20];
            await using (var file = File.OpenRead(binary))
            {
                await file.ReadExactlyAsync(header);
            }
            var arm64 = await BudgetRunProcess.RunProgramAsync(Qemu, [binary, "--version"]);

            Assert.Equal("\u007fELF"u8.ToArray(), header[..4]);
            Assert.Equal(183, BitConverter.ToUInt16(header, 18)); // e_machine: EM_AARCH64
            arm64.AssertExitCode(0);
            Assert.Equal(x64.StdoutText, arm64.StdoutText);
        }
    }

    [Arm64Fact]
    public async Task ARetriedRun_RunsEveryAttempt_AndEndsWithTheChildsCode()
    {
        var result = await RunAsync(["--max-attempts", "3", "--base-delay", "50ms", "--", "sh", "-c", "echo run; exit 3"]);

        result.AssertExitCode(3).AssertNoStackTrace();
        Assert.Equal("run\nrun\nrun\n", result.StdoutText);
        Assert.Contains("attempt 3 of 3 started", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("cannot be a child subreaper here (PR_SET_CHILD_SUBREAPER: Invalid argument)", result.Stderr, StringComparison.Ordinal);
    }

    [Arm64Fact]
    public async Task TheBudget_EndsTheRetries_Exit75_WithoutOverspending()
    {
        var result = await RunAsync(["--max-attempts", "5", "--max-cost-cents", "50", "--cost-per-attempt-cents", "20", "--base-delay", "10ms", "--", "false"]);

        result.AssertExitCode(75).AssertNoStackTrace();
        Assert.Contains("spent 40 of 50 cents in 2 attempt(s)", result.Stderr, StringComparison.Ordinal);
    }

    [Arm64Fact]
    public async Task ItsStaticallyLinkedSqlite_KeepsTheAccountAcrossRuns()
    {
        string[] account = ["--ledger", "sqlite:" + _scratch.Path("ledger.db"), "--budget-key", "arm/batch"];

        var first = await RunAsync([.. account, "--max-cost-cents", "10", "--cost-per-attempt-cents", "4", "--max-attempts", "5", "--base-delay", "10ms", "--", "false"]);
        var second = await RunAsync([.. account, "--max-cost-cents", "10", "--cost-per-attempt-cents", "4", "--", "true"]);
        var status = await RunAsync(["status", .. account, "--json"]);

        first.AssertExitCode(75).AssertNoStackTrace();
        second.AssertExitCode(75); // 8 of 10 spent: the next 4 do not fit
        status.AssertExitCode(0);
        using var document = JsonDocument.Parse(status.StdoutText);
        Assert.Equal(8, document.RootElement.GetProperty("spentCents").GetInt64());
        Assert.Equal(0, document.RootElement.GetProperty("reservedCents").GetInt64());
    }

    [Arm64Fact]
    public async Task Sigterm_StopsTheChild_AndExits143()
    {
        var pidFile = _scratch.Path("child.pid");
        using var run = Start(["--max-attempts", "3", "--kill-grace", "2s", "--", "sh", "-c", "echo $$ > \"$0\"; exec sleep 60", pidFile]);
        var child = await Wait.ForPidAsync(pidFile, run);

        run.Signal(Posix.SIGTERM);
        var result = await run.WaitAsync();

        result.AssertExitCode(143).AssertNoStackTrace();
        Assert.False(Posix.IsAlive(child), $"the child {child} outlived budget-run");
        Assert.DoesNotContain("attempt 2", result.Stderr, StringComparison.Ordinal);
    }

    [Arm64Fact]
    public async Task AnAttemptTimeout_StopsTheAttempt_Exit124()
    {
        var result = await RunAsync(["--max-attempts", "1", "--attempt-timeout", "300ms", "--kill-grace", "200ms", "--", "sleep", "30"]);

        result.AssertExitCode(124).AssertNoStackTrace();
    }

    [Arm64Fact]
    public async Task BudgetRunNet_TheControlPlane_AnswersAndItsKillSwitchEndsTheRun_Exit77()
    {
        // budget-run-net run directly: the lean binary's hand-over is an execve of an AArch64 file,
        // which the kernel here runs only through binfmt_misc (qemu-user does not follow execve).
        var token = _scratch.Write("token", $"arm-{Guid.NewGuid():N}");
        File.SetUnixFileMode(token, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var run = BudgetRunProcess.StartProgram(Qemu,
            [Path.Combine(Path.GetDirectoryName(Arm64.Binary)!, "budget-run-net"), "--listen", "127.0.0.1:0", "--control-token-file", token, "--max-attempts", "1", "--", "sleep", "60"],
            new RunSettings { Timeout = TimeSpan.FromMinutes(1) });
        using var client = await ControlPlaneClient.ConnectAsync(run);

        var health = await client.GetAsync("/healthz");
        var kill = await client.PostAsync("/kill", null, File.ReadAllText(token));
        var result = await run.WaitAsync();

        Assert.Equal(HttpStatusCode.OK, health.Status);
        Assert.Equal(HttpStatusCode.Accepted, kill.Status);
        result.AssertExitCode(77).AssertNoStackTrace();
    }

    public void Dispose() => _scratch.Dispose();

    private static BudgetRunProcess Start(string[] args) =>
        BudgetRunProcess.StartProgram(Qemu, [Arm64.Binary, .. args], new RunSettings { Timeout = TimeSpan.FromMinutes(1) });

    private static async Task<ProcessResult> RunAsync(string[] args)
    {
        using var run = Start(args);
        return await run.WaitAsync();
    }
}

/// <summary>Where the linux-arm64 binary is, and whether qemu can run it here.</summary>
internal static class Arm64
{
    private static readonly Lazy<string> _binary = new(() =>
        Environment.GetEnvironmentVariable("BUDGET_RUN_ARM64_EXE") is { Length: > 0 } given
            ? Path.GetFullPath(given)
            : Repository.PathOf("artifacts/aot-arm64/budget-run"));

    public static string Binary => _binary.Value;

    /// <summary>Why the tests cannot run here; null when they can. In CI (eng/test.sh) both are always there.</summary>
    public static string? Unavailable =>
        !File.Exists("/usr/bin/qemu-aarch64-static") ? "qemu-aarch64-static is not installed (eng/install-deps.sh installs it)"
        : !File.Exists(Binary) ? $"{Binary} does not exist: eng/test.sh publishes it (dotnet publish src/BudgetRun.Cli -c Release -r linux-arm64 -o artifacts/aot-arm64)"
        : null;
}

/// <summary>A fact about the linux-arm64 binary under qemu; skipped with the reason where either is missing.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class Arm64FactAttribute : FactAttribute
{
    public Arm64FactAttribute()
    {
        if (Arm64.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}
