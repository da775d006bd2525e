using System.Text.RegularExpressions;

namespace BudgetRun.Deployment.Tests;

/// <summary>
/// examples/QueueWorker/run.sh end to end, on the binary under test and the worker's build: a real
/// redis-server, `budget-run serve` on a 300-cent account, 30 jobs, a paid API failing half the
/// time. The budget stops the worker's retries (exit 75, the refused job back on the queue), the
/// account is never overspent, and nothing is left reserved.
/// </summary>
public sealed partial class QueueWorkerExampleTests
{
    [Fact]
    public async Task RunSh_TheBudgetStopsTheRetryStorm_WithoutOverspending()
    {
        var result = await BudgetRunProcess.RunProgramAsync("/bin/bash", [Repository.PathOf("examples/QueueWorker/run.sh")],
            new RunSettings
            {
                Environment = new Dictionary<string, string?> { ["BUDGET_RUN_EXE"] = Executables.BudgetRun, ["CONFIGURATION"] = Repository.Configuration },
                Timeout = TimeSpan.FromMinutes(2),
            });

        result.AssertExitCode(75);
        var output = result.StdoutText;
        Assert.Contains("stopping: the budget is exhausted: 40 cents do not fit", output, StringComparison.Ordinal);
        Assert.Contains("paid API failed (503 Service Unavailable); retry 1 follows", output, StringComparison.Ordinal);
        var left = int.Parse(JobsLeft().Match(output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var done = int.Parse(JobsDone().Match(output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(30, left + done); // the refused job went back: none is lost
        Assert.InRange(done, 1, 29);
        var spent = long.Parse(Field().Match(output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(spent, 300 - 40 + 1, 300); // stopped only when a 40-cent call no longer fits, never past the limit
        Assert.Contains("reserved:     0 cents", output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"exited 75; (\d+) jobs left on the queue")]
    private static partial Regex JobsLeft();

    [GeneratedRegex(@"is back on the queue, (\d+) done")]
    private static partial Regex JobsDone();

    [GeneratedRegex(@"spent: +(\d+) cents")]
    private static partial Regex Field();
}
