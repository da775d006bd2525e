using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// The threads a run starts (README, "Where start-up time and memory go"): the child's exit reaches
/// the supervisor on the main thread's loop, so a run whose attempts wait on no timer never starts
/// the thread pool. Read by the end hook, a child of budget-run's that runs after the last attempt:
/// <c>/proc/$PPID/task/*/comm</c> lists every thread budget-run has by then.
/// </summary>
public sealed class ThreadsTests : CliTest
{
    [AotTheory]
    [InlineData("--cgroup", "auto")]
    [InlineData("--cgroup", "off")]
    [InlineData("--retry-if-output", "no such line")]
    [InlineData("--max-cost-cents", "100")]
    public async Task ARunWithoutRetries_StartsNoThreadPoolThread(string flag, string value)
    {
        var threads = Scratch.Path("threads.txt");

        var run = await RunAsync([flag, value, "--on-end", $"cat /proc/$PPID/task/*/comm > '{threads}'", "--", "sh", "-c", "echo out; echo err >&2"]);

        run.AssertExitCode(0).AssertNoStackTrace();
        var names = File.ReadAllLines(threads);
        Assert.Contains("budget-run reap", names); // the reaper, and so the right process
        Assert.DoesNotContain(names, name => name.StartsWith(".NET TP", StringComparison.Ordinal));
    }

    [AotFact]
    public async Task ARetriedRun_WaitsItsBackoffOnATimer_AndStillEndsWhole()
    {
        var threads = Scratch.Path("threads.txt");

        var run = await RunAsync(["--max-attempts", "3", "--base-delay", "10ms", "--on-end", $"cat /proc/$PPID/task/*/comm > '{threads}'",
            "--", "sh", "-c", "exit 1"]);

        run.AssertExitCode(1).AssertNoStackTrace();
        Assert.Contains("attempt 3 ended with exit code 1", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("budget-run reap", File.ReadAllLines(threads));
    }
}
