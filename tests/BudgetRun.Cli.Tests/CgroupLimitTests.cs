using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// <c>--memory-max</c> and <c>--cpu-max</c> with real runs. Where budget-run's cgroup hands the
/// controller to its children (a full cgroup v2 host), the attempt's cgroup carries the limit; where
/// it does not (this test machine: the hybrid layout's cgroup v2 has no controllers), the run is a
/// usage error that says so, nothing starts and no cgroup is left behind.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class CgroupLimitTests : CliTest
{
    [CgroupTheory]
    [InlineData("--memory-max", "512M", "memory", "memory.max", "536870912")]
    [InlineData("--cpu-max", "0.5", "cpu", "cpu.max", "50000 100000")]
    public async Task TheLimit_IsOnTheAttemptsCgroup_OrTheRunSaysWhyNot(string flag, string value, string controller, string file, string written)
    {
        var own = CgroupHost.OwnDirectory!;
        var delegated = File.ReadAllText(Path.Combine(own, "cgroup.subtree_control")).Split(' ', StringSplitOptions.TrimEntries).Contains(controller);

        var result = await RunAsync([flag, value, "--max-attempts", "1", "--", "sh", "-c",
            "echo started > \"$0\"; cat \"/sys/fs/cgroup/unified$(sed -n 's/^0:://p' /proc/self/cgroup)/$1\" 2>/dev/null || cat \"/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)/$1\"",
            Scratch.Path("started"), file]);

        if (delegated)
        {
            // A full cgroup v2 host: the attempt ran under the limit.
            result.AssertExitCode(0).AssertNoStackTrace();
            Assert.Equal(written, result.StdoutText.Trim());
        }
        else
        {
            result.AssertExitCode(2).AssertNoStackTrace();
            Assert.Matches($"^budget-run: {flag} needs the {controller} controller, which budget-run's cgroup {own} does not hand to its children " +
                @"\(cgroup.controllers of .*/budget-run-[0-9a-f]{32}: none\); enable it in .*/cgroup.subtree_control \(systemd: Delegate=yes\), " +
                $"or run without {flag} \\(see budget-run --help\\)$", result.AssertOneStderrLine());
            Assert.False(File.Exists(Scratch.Path("started")), "the child started");
            // The run's cgroup, named in the message, was removed again.
            var runCgroup = System.Text.RegularExpressions.Regex.Match(result.Stderr, @"/\S*/budget-run-[0-9a-f]{32}").Value;
            Assert.False(Directory.Exists(runCgroup), $"{runCgroup} was left behind");
        }
    }

    [Theory]
    [InlineData("--memory-max", "1G")]
    [InlineData("--cpu-max", "1")]
    public async Task WithCgroupOff_IsAUsageError(string flag, string value)
    {
        var result = await RunAsync([flag, value, "--cgroup", "off", "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        result.AssertExitCode(2).AssertNoStackTrace();
        Assert.Equal($"budget-run: {flag}: the limit is set on each attempt's cgroup, and --cgroup off gives none (see budget-run --help)", result.AssertOneStderrLine());
        Assert.Equal(0, Scratch.Count("started"));
    }

    [Theory]
    [InlineData("--memory-max", "lots", "--memory-max: 'lots' is not a size")]
    [InlineData("--memory-max", "100K", "--memory-max: '100K' is not from 1M to 1024T")]
    [InlineData("--cpu-max", "0", "--cpu-max: '0' is not a number of CPUs from 0.01 to 4096")]
    public async Task ABadValue_IsAUsageError(string flag, string value, string message)
    {
        var result = await RunAsync([flag, value, "--", "true"]);

        result.AssertExitCode(2).AssertNoStackTrace();
        Assert.StartsWith($"budget-run: {message}", result.AssertOneStderrLine(), StringComparison.Ordinal);
    }

    [RootFact]
    public async Task WhereNoCgroupCanBeMade_IsAUsageError_ThoughCgroupIsAuto()
    {
        File.SetUnixFileMode(Scratch.Directory, (UnixFileMode)0x1ff);

        var result = await Nobody.RunBudgetRunAsync([
            "--memory-max", "1G", "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        result.AssertExitCode(2).AssertNoStackTrace();
        Assert.StartsWith("budget-run: --memory-max: the limit is set on each attempt's cgroup, and none can be made here: cannot create ",
            result.AssertOneStderrLine(), StringComparison.Ordinal);
        Assert.Equal(0, Scratch.Count("started"));
    }
}
