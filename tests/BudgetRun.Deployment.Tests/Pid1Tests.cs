namespace BudgetRun.Deployment.Tests;

/// <summary>
/// budget-run as PID 1 of a PID namespace, as in a container without an init process: the script
/// eng/pid1-test.sh (also run by hand and in CI) against the executable under test.
/// </summary>
public sealed class Pid1Tests
{
    [Fact]
    public async Task AsPid1_ExitCodePropagates_SigtermStopsTheChild_OrphansAreReaped()
    {
        var output = await BudgetRunProcess.RunProgramAsync("bash", [Repository.PathOf("eng/pid1-test.sh"), Executables.BudgetRun],
            new RunSettings { Timeout = TimeSpan.FromMinutes(3) });

        Assert.True(output.ExitCode == 0, output.ToString());
        Assert.Contains(", 0 failed", output.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain("not ok", output.StdoutText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("eng/pid1-test.sh")]
    [InlineData("eng/container/build-local.sh")]
    public async Task Scripts_AreValidBash(string script)
    {
        var output = await BudgetRunProcess.RunProgramAsync("bash", ["-n", Repository.PathOf(script)], new RunSettings { Timeout = TimeSpan.FromSeconds(30) });

        Assert.True(output.ExitCode == 0, output.ToString());
    }
}
