using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// <c>--cost-per-cpu-second-cents</c> on this host's real cgroup v2: an attempt is charged the CPU
/// time its cgroup counted (cpu.stat), while each slice reserved the most it could have used (the
/// slice's wall time on every online CPU), and a slice that does not fit stops the attempt.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class CpuCostTests : CliTest
{
    private static int Cpus => BudgetRun.Engine.CpuCount.Online();

    [CgroupFact]
    public async Task ABusyAttempt_IsChargedTheCpuTimeItsCgroupCounted_RoundedUpToACent()
    {
        var report = Scratch.Path("report.json");
        var slice = 100 * Cpus; // a 1 s slice at 100 cents a CPU second

        var result = await RunAsync(["--max-attempts", "1", "--max-cost-cents", $"{5 * slice}", "--cost-per-cpu-second-cents", "100",
            "--meter-slice", "1s", "--kill-grace", "200ms", "--report", report, "--", .. Child("burn-cpu", "400")]);

        result.AssertExitCode(0).AssertNoStackTrace();
        var document = RunReport.Load(report);
        var attempt = Assert.Single(document.Attempts);
        var cpu = document.Real(attempt, "cpuSeconds");
        Assert.True(cpu >= 0.4, $"cpuSeconds {cpu}: the child burned at least 0.4 s\n{document.Json}");
        Assert.Equal((long)Math.Ceiling(Math.Round(cpu * 100, 4)), document.Number(attempt, "costCents"));
        Assert.Equal(document.Number(attempt, "costCents"), document.CostCents);
    }

    [CgroupFact]
    public async Task AnIdleAttempt_ReservesByWallTime_ButIsChargedAlmostNothing_AndThePerAttemptPrice()
    {
        var report = Scratch.Path("report.json");
        var slice = 100 * Cpus;

        var result = await RunAsync(["--max-attempts", "1", "--max-cost-cents", $"{10 * slice}", "--cost-per-attempt-cents", "7",
            "--cost-per-cpu-second-cents", "100", "--meter-slice", "1s", "--kill-grace", "200ms", "--report", report, "--", "sleep", "2.2"]);

        result.AssertExitCode(0).AssertNoStackTrace();
        var document = RunReport.Load(report);
        var attempt = Assert.Single(document.Attempts);
        // sleep uses a few milliseconds of CPU: cents, not the three slices it held.
        Assert.InRange(document.Number(attempt, "costCents"), 7, 7 + 10);
        Assert.Contains("spent " + document.CostCents + " of " + (10 * slice) + " cents", result.Stderr, StringComparison.Ordinal);
    }

    [CgroupFact]
    public async Task ASliceThatDoesNotFit_StopsTheAttempt_Exit75_AndChargesOnlyWhatItUsed()
    {
        var report = Scratch.Path("report.json");
        var slice = 100 * Cpus;

        // Room for the first slice and not the second: the meter stops the attempt before its first second is used up.
        var result = await RunAsync(["--max-attempts", "3", "--max-cost-cents", $"{slice + (slice / 2)}", "--cost-per-cpu-second-cents", "100",
            "--meter-slice", "1s", "--kill-grace", "200ms", "--report", report, "--", "sleep", "30"]);

        result.AssertExitCode(75).AssertNoStackTrace();
        Assert.Contains($"the meter stopped attempt 1: its next {slice} cents could not be reserved", result.Stderr, StringComparison.Ordinal);
        var document = RunReport.Load(report);
        Assert.Equal("budgetExhausted", document.Outcome);
        var attempt = Assert.Single(document.Attempts);
        Assert.Equal("killed", document.Text(attempt, "outcome"));
        Assert.True(document.Number(attempt, "durationMs") < 1000, document.Json);
        Assert.InRange(document.CostCents, 0, 10);
    }

    [Theory]
    [InlineData(new[] { "--cgroup", "off" }, "--cost-per-cpu-second-cents: CPU time is counted by each attempt's cgroup, and --cgroup off gives none")]
    [InlineData(new[] { "--cost-per-minute-cents", "1" }, "--cost-per-cpu-second-cents: give one rate, by wall time (--cost-per-minute-cents, --cost-per-hour-cents) or by CPU time, not both")]
    [InlineData(new[] { "--cost-per-hour-cents", "1" }, "--cost-per-cpu-second-cents: give one rate, by wall time (--cost-per-minute-cents, --cost-per-hour-cents) or by CPU time, not both")]
    public async Task WithWhatCannotMeterCpuTime_IsAUsageError_NothingStarted(string[] flags, string message)
    {
        var result = await RunAsync(["--cost-per-cpu-second-cents", "1", .. flags, "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        result.AssertExitCode(2).AssertNoStackTrace();
        Assert.Equal($"budget-run: {message} (see budget-run --help)", result.AssertOneStderrLine());
        Assert.Equal(0, Scratch.Count("started"));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("1e3")]
    [InlineData("0.0000001")]
    public async Task ABadRate_IsAUsageError(string rate)
    {
        var result = await RunAsync(["--cost-per-cpu-second-cents", rate, "--", "true"]);

        result.AssertExitCode(2);
        Assert.StartsWith($"budget-run: --cost-per-cpu-second-cents: '{rate}' is not a rate in cents", result.AssertOneStderrLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASliceTooLargeForTheLedger_IsAUsageError()
    {
        var result = await RunAsync(["--cost-per-cpu-second-cents", "10000000", "--meter-slice", "24h", "--", "true"]);

        result.AssertExitCode(2);
        Assert.Contains($"--meter-slice: a slice of 24h on {Cpus} CPUs at that rate is more than", result.AssertOneStderrLine(), StringComparison.Ordinal);
    }

    [RootFact]
    public async Task WhereNoCgroupCanBeMade_IsAUsageError_ThoughCgroupIsAuto()
    {
        File.SetUnixFileMode(Scratch.Directory, (UnixFileMode)0x1ff);

        var result = await Nobody.RunBudgetRunAsync([
            "--cost-per-cpu-second-cents", "1", "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        result.AssertExitCode(2).AssertNoStackTrace();
        Assert.StartsWith("budget-run: --cost-per-cpu-second-cents: CPU time is counted by each attempt's cgroup, and none can be made here: cannot create ",
            result.AssertOneStderrLine(), StringComparison.Ordinal);
        Assert.Equal(0, Scratch.Count("started"));
    }
}
