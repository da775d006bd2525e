using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// The secrets budget-run removes from the child's environment cannot be read back from budget-run
/// itself by the child (same unprivileged uid): not from /proc/PPID/environ, not from its memory.
/// The tests run budget-run as nobody (setpriv), because root may read any process anyway.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class SecretTests : CliTest
{
    private const string Token = "control-token-0123456789-secret";
    private const string Password = "redis-password-secret";

    [RootTheory]
    [InlineData("environ")]
    [InlineData("mem")]
    [InlineData("cmdline")]
    public async Task ChildOfTheSameUid_CannotReadTheSecretsFromBudgetRun(string file)
    {
        var result = await RunAsNobodyAsync(["--max-attempts", "1", "--", Executables.TestChild, "read-parent", file]);

        Assert.DoesNotContain(Token, result.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, result.StdoutText, StringComparison.Ordinal);
        if (file != "cmdline")
        {
            result.AssertExitCode(1);
            Assert.StartsWith("denied:", result.StdoutText, StringComparison.Ordinal);
        }
        else
        {
            result.AssertExitCode(0); // readable by anyone, and no secret is ever on the command line
        }
    }

    [RootFact]
    public async Task SecretsAreNotInTheChildsEnvironment_AndTheChildsOwnProcFilesAreItsOwn()
    {
        var result = await RunAsNobodyAsync(["--max-attempts", "1", "--", "sh", "-c",
            "echo \"token=${BUDGET_RUN_CONTROL_TOKEN-unset} password=${BUDGET_RUN_REDIS_PASSWORD-unset}\"; stat -c %u /proc/self/environ; stat -c %u /proc/$PPID/environ"]);

        result.AssertExitCode(0);
        Assert.Equal("token=unset password=unset\n65534\n0\n", result.StdoutText);
    }

    [RootFact]
    public async Task UnprivilegedBudgetRun_StillSupervisesTheTree_AndSweepsLeftovers()
    {
        var leftoverPid = Scratch.Path("leftover.pid");
        File.SetUnixFileMode(Scratch.Directory, (UnixFileMode)0x1ff);

        var result = await RunAsNobodyAsync(["--max-attempts", "2", "--base-delay", "10ms", "--kill-grace", "300ms",
            "--", Executables.TestChild, "spawn", "setsid", leftoverPid, "exit:1", "ignore-sigterm", "600000"]);

        result.AssertExitCode(1).AssertNoStackTrace();
        Assert.Contains("stopped 1 process(es) left behind by attempt 2", result.Stderr, StringComparison.Ordinal);
        var leftover = int.Parse(File.ReadAllText(leftoverPid).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(Posix.IsAlive(leftover));
    }

    private static Task<ProcessResult> RunAsNobodyAsync(string[] args) =>
        Nobody.RunBudgetRunAsync(args,
            new RunSettings
            {
                Environment = new Dictionary<string, string?>
                {
                    ["BUDGET_RUN_CONTROL_TOKEN"] = Token,
                    ["BUDGET_RUN_REDIS_PASSWORD"] = Password,
                },
            });
}
