using System.Diagnostics;
using System.Globalization;
using BudgetRun.Resilience.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Resilience.Tests.Load;

/// <summary>
/// Load, CI-sized: 5,000 short attempts in one run, with budget-run's VmRSS, open file descriptors
/// and threads sampled after its warm-up (attempt 1,000: the report keeps the last 1,000 attempts,
/// so from there on nothing may accumulate) and near the end (attempt 4,500: late enough to show a
/// leak, early enough that the run has not ended by the time the test, on a loaded machine, looks). The opt-in soak does
/// the same over BUDGET_RUN_SOAK_ATTEMPTS (default 50,000) attempts with the control plane polled.
/// </summary>
public sealed class AttemptLoadTests(ITestOutputHelper output) : ResilienceTest
{
    [Fact]
    public async Task FiveThousandShortAttempts_InOneRun_LeakNoMemoryFilesOrThreads()
    {
        var report = Scratch.Path("report.json");
        using var run = StreamingRun.Start(["--max-attempts", "5000", "--base-delay", "1ms", "--max-delay", "1ms", "--max-cost-cents", "0",
            "--report", report, "--", "false"], CleanEnvironment(ShippedGcSettings));
        var clock = Stopwatch.StartNew();

        await run.WaitForAttemptsAsync(1000, TimeSpan.FromSeconds(90));
        var start = await ResourceSample.TakeSteadyAsync(run.Pid);
        await run.WaitForAttemptsAsync(4500, TimeSpan.FromSeconds(180));
        var end = await ResourceSample.TakeSteadyAsync(run.Pid);
        var code = await run.WaitAsync(TimeSpan.FromSeconds(60));

        output.WriteLine($"5,000 attempts in {clock.Elapsed.TotalSeconds:0.0} s; at attempt 1,000: {start}; at attempt 4,500: {end}; {ResourceNoise.Describe}");
        Assert.Equal(1, code);
        Assert.Equal(5000, run.AttemptsStarted);
        var loaded = RunReport.Load(report);
        Assert.Equal(5000, loaded.Number(loaded.Root, "attemptCount"));
        Assert.Equal(1000, loaded.Attempts.Count);
        Assert.Equal(5000, loaded.Number(loaded.Attempts[^1], "number"));
        Assert.NotNull(start);
        Assert.NotNull(end);
        ResourceNoise.AssertNoGrowth(start, end, "from attempt 1,000 to attempt 4,500");
    }

    [SoakFact]
    public async Task Soak_ManyAttemptsWithTheControlPlanePolled_LeakNoMemoryFilesOrThreads()
    {
        var attempts = int.TryParse(Environment.GetEnvironmentVariable("BUDGET_RUN_SOAK_ATTEMPTS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 50_000;
        using var run = StreamingRun.Start(["--listen", "127.0.0.1:0", "--max-attempts", attempts.ToString(CultureInfo.InvariantCulture),
            "--base-delay", "1ms", "--max-delay", "1ms", "--max-cost-cents", "0", "--", "false"], CleanEnvironment(ShippedGcSettings));
        await Wait.UntilAsync(() => Wait.ListeningUrl(run.Stderr) is not null, TimeSpan.FromSeconds(15), "the control plane");
        using var client = new ControlPlaneClient(Wait.ListeningUrl(run.Stderr)!);
        using var stopPolling = new CancellationTokenSource();
        var polls = 0;
        var poller = Task.Run(async () =>
        {
            while (!stopPolling.IsCancellationRequested && !run.HasExited)
            {
                await client.GetAsync("/status");
                await client.GetAsync("/metrics");
                polls += 2;
                await Task.Delay(100);
            }
        });
        var clock = Stopwatch.StartNew();

        var samples = new List<(int Attempt, ResourceSample Sample)>();
        foreach (var mark in new[] { 0.1, 0.25, 0.5, 0.75, 0.9 })
        {
            var attempt = (int)(attempts * mark);
            await run.WaitForAttemptsAsync(attempt, TimeSpan.FromHours(2));
            samples.Add((attempt, (await ResourceSample.TakeSteadyAsync(run.Pid))!));
        }
        await stopPolling.CancelAsync();
        await poller;
        var code = await run.WaitAsync(TimeSpan.FromMinutes(5));

        output.WriteLine($"soak: {attempts} attempts in {clock.Elapsed.TotalMinutes:0.0} min, {polls} control plane requests; "
            + string.Join("; ", samples.Select(s => $"at attempt {s.Attempt}: {s.Sample}")));
        Assert.Equal(1, code);
        ResourceNoise.AssertNoGrowth(samples[0].Sample, samples[^1].Sample, $"from attempt {samples[0].Attempt} to attempt {samples[^1].Attempt}");
    }
}
