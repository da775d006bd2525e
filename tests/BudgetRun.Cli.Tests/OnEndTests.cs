using System.Globalization;
using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// <c>--on-end</c>: once per run, after the report, with the outcome in its environment and none of
/// budget-run's secrets; its failure or its timeout is one line and never the run's exit code.
/// </summary>
public sealed class OnEndTests : CliTest
{
    [Fact]
    public async Task OnEnd_RunsOnceAfterTheReport_WithTheOutcomeAndNoSecrets_AndItsFailureKeepsTheExitCode()
    {
        var report = Scratch.Path("run.json");
        var hook = $"cd '{Scratch.Directory}' && echo ran >> hook.count; env | sort > hook.env; cat \"$BUDGET_RUN_REPORT\" > hook.report; exit 3";
        var result = await BudgetRunProcess.RunAsync(["--listen", "127.0.0.1:0", "--max-attempts", "2", "--base-delay", "10ms",
            "--max-cost-cents", "50", "--cost-per-attempt-cents", "5", "--report", report, "--on-end", hook,
            "--", "sh", "-c", "test -n \"$BUDGET_RUN_TOKEN\" || exit 9; exit 1"],
            new RunSettings
            {
                Environment = new Dictionary<string, string?>
                {
                    ["BUDGET_RUN_CONTROL_TOKEN"] = "control-token-0123456789-secret",
                    ["BUDGET_RUN_ATTEMPT"] = "9",
                },
            });

        result.AssertExitCode(1).AssertNoStackTrace(); // the child's code (with its token), not the hook's 3
        Assert.Equal(["ran"], File.ReadAllLines(Scratch.Path("hook.count"))); // once, not once per attempt
        var environment = File.ReadAllLines(Scratch.Path("hook.env"));
        Assert.Contains("BUDGET_RUN_OUTCOME=attemptsExhausted", environment);
        Assert.Contains("BUDGET_RUN_EXIT_CODE=1", environment);
        Assert.Contains("BUDGET_RUN_SPENT_CENTS=10", environment);
        Assert.Contains("BUDGET_RUN_BUDGET_CENTS=50", environment);
        Assert.Contains("BUDGET_RUN_ATTEMPTS=2", environment);
        Assert.Contains($"BUDGET_RUN_REPORT={report}", environment);
        Assert.Contains(environment, line => line.StartsWith("BUDGET_RUN_RUN_ID=", StringComparison.Ordinal));
        foreach (var absent in new[] { "BUDGET_RUN_CONTROL_TOKEN=", "BUDGET_RUN_TOKEN=", "BUDGET_RUN_URL=", "BUDGET_RUN_ATTEMPT=", "BUDGET_RUN_LISTEN=" })
        {
            Assert.DoesNotContain(environment, line => line.StartsWith(absent, StringComparison.Ordinal));
        }
        Assert.Equal(File.ReadAllText(report), File.ReadAllText(Scratch.Path("hook.report")));
        var lines = result.StderrLines;
        var failed = Array.FindIndex(lines, line => line.Contains("--on-end failed: exit code 3; the run's exit code stands", StringComparison.Ordinal));
        Assert.True(failed >= 0, result.Stderr);
        Assert.Contains(LogMarkers.RunEnded, lines[^1], StringComparison.Ordinal); // still the last line
        Assert.True(failed < lines.Length - 1);
    }

    [Fact]
    public async Task OnEnd_AfterSigterm_SeesTheInterruption_AndAHungHookIsStoppedWithItsTreeAtItsTimeout()
    {
        var childPid = Scratch.Path("child.pid");
        var hook = $"cd '{Scratch.Directory}' && echo \"$BUDGET_RUN_OUTCOME $BUDGET_RUN_EXIT_CODE $BUDGET_RUN_ATTEMPTS ${{BUDGET_RUN_REPORT-none}}\" > hook.out; "
            + "setsid sleep 600 & echo $! > escaped.pid; sleep 600";
        using var run = BudgetRunProcess.Start(["--max-attempts", "3", "--kill-grace", "300ms", "--on-end", hook, "--on-end-timeout", "1s",
            "--", .. Child("--pid-file", childPid, "sleep", "600000")]);
        await Wait.ForPidAsync(childPid, run);

        run.Signal(Posix.SIGTERM);
        var result = await run.WaitAsync();

        result.AssertExitCode(143).AssertNoStackTrace();
        Assert.Equal("interrupted 143 1 none\n", File.ReadAllText(Scratch.Path("hook.out")));
        Assert.Contains("--on-end failed: timed out after 1s; its process tree was stopped; the run's exit code stands", result.Stderr, StringComparison.Ordinal);
        var escaped = int.Parse(File.ReadAllText(Scratch.Path("escaped.pid")).Trim(), CultureInfo.InvariantCulture);
        Assert.False(Posix.IsAlive(escaped));
    }

    [Fact]
    public async Task OnEnd_RunsToo_WhenTheLedgerCannotBeOpened()
    {
        var ledger = $"redis://127.0.0.1:{Ports.FreeLoopback()}/0";
        var report = Scratch.Path("run.json");
        var hook = $"echo \"$BUDGET_RUN_OUTCOME $BUDGET_RUN_EXIT_CODE $BUDGET_RUN_ATTEMPTS $BUDGET_RUN_REPORT\" > '{Scratch.Path("hook.out")}'";

        var result = await RunAsync(["--ledger", ledger, "--budget-key", "on-end", "--ledger-timeout", "1s", "--max-cost-cents", "100", "--report", report, "--on-end", hook,
            "--", .. Child("exit", "0")]);

        result.AssertExitCode(69);
        Assert.Equal($"ledgerUnavailable 69 0 {report}\n", File.ReadAllText(Scratch.Path("hook.out")));
    }

    [Theory]
    [InlineData("--on-end-timeout=5s", "--on-end-timeout: '5s' bounds nothing without --on-end")]
    [InlineData("--on-end= ", "--on-end: the command is empty")]
    public async Task OnEndUsageErrors_ExitTwo(string flag, string message)
    {
        var result = await RunAsync([flag, "--", .. Child("exit", "0")]);

        result.AssertExitCode(2);
        Assert.Contains(message, result.AssertOneStderrLine(), StringComparison.Ordinal);
    }
}
