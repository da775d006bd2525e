using System.Diagnostics;
using BudgetRun.Resilience.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Resilience.Tests.Faults;

/// <summary>
/// Fault: the child floods stdout with a GiB, closes its stdout early, finds its reader gone, or
/// reads stdin forever. Promise: budget-run neither hangs, nor loses a byte (the test counts them
/// at the far end of budget-run's stdout pipe), nor grows its memory (VmRSS sampled from /proc).
/// </summary>
public sealed class OutputFaultTests(ITestOutputHelper output) : ResilienceTest
{
    private const long GiB = 1L << 30;

    [Fact]
    public async Task OneGibibyteFlood_ArrivesWhole_WhileBudgetRunsMemoryStaysFlat()
    {
        // The child floods, then idles a second so budget-run can be sampled after the flood too.
        using var run = StreamingRun.Start(["--max-attempts", "1", "--", "sh", "-c", $"head -c {GiB} /dev/zero; sleep 1"], CleanEnvironment());
        await Wait.UntilAsync(() => run.StdoutBytes > 16 << 20 || run.HasExited, TimeSpan.FromSeconds(30), "the flood began");
        var during = new List<ResourceSample>();
        var first = await ResourceSample.TakeSteadyAsync(run.Pid);
        while (run.StdoutBytes < GiB && !run.HasExited)
        {
            if (ResourceSample.Take(run.Pid) is { } sample)
            {
                during.Add(sample);
            }
            await Task.Delay(50);
        }
        var after = await ResourceSample.TakeSteadyAsync(run.Pid);
        var clock = Stopwatch.StartNew();
        var code = await run.WaitAsync(TimeSpan.FromSeconds(60));

        output.WriteLine($"1 GiB flood: {run.StdoutBytes} bytes counted; budget-run at the start {first}, peak VmRSS "
            + $"{during.Select(s => s.RssKiB).DefaultIfEmpty(0).Max() / 1024.0:0.0} MiB over {during.Count} samples, after {after}");
        Assert.Equal(0, code);
        Assert.Equal(GiB, run.StdoutBytes);
        Assert.Equal(0, run.NonZeroBytes);
        Assert.NotNull(first);
        Assert.NotNull(after);
        foreach (var sample in during)
        {
            ResourceNoise.AssertNoMemoryGrowth(first, sample, "during the flood");
        }
        ResourceNoise.AssertNoMemoryGrowth(first, after, "after the flood");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "budget-run lingered after its child's flood ended");
    }

    [Fact]
    public async Task ChildClosingItsStdoutEarly_LosesNoByteWritten_AndTheRunGoesOn()
    {
        using var run = StreamingRun.Start(["--max-attempts", "2", "--base-delay", "10ms",
            "--", "sh", "-c", "head -c 1000000 /dev/zero; exec >&-; sleep 0.3; exit 3"], CleanEnvironment());

        var code = await run.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(3, code);
        Assert.Equal(2_000_000, run.StdoutBytes);
        Assert.Equal(2, run.AttemptsStarted);
    }

    [Fact]
    public async Task ReaderClosingStdoutEarly_EndsTheChildWithSigpipe_AndBudgetRunStillEnds()
    {
        var report = Scratch.Path("report.json");
        using var run = StreamingRun.Start(["--max-attempts", "2", "--base-delay", "10ms", "--report", report, "--", "yes"],
            CleanEnvironment(), closeStdoutAfter: 1 << 20);

        var code = await run.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(128 + Posix.SIGPIPE, code);
        var loaded = RunReport.Load(report);
        Assert.Equal(2, loaded.Attempts.Count);
        Assert.All(loaded.Attempts, attempt => Assert.Equal(Posix.SIGPIPE, loaded.Number(attempt, "signal")));
        Assert.DoesNotContain(run.StderrLines, line => line.Contains("Exception", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ChildReadingStdinForever_EndsAtTheAttemptTimeout_AfterPassingEveryByteThrough()
    {
        const int Bytes = 1 << 20;
        var report = Scratch.Path("report.json");
        using var run = StreamingRun.Start(["--max-attempts", "2", "--base-delay", "10ms", "--attempt-timeout", "1500ms",
            "--kill-grace", "200ms", "--report", report, "--", "cat"], CleanEnvironment(), keepStdinOpen: true);
        await run.WaitForAttemptsAsync(1, TimeSpan.FromSeconds(15));
        var before = await ResourceSample.TakeSteadyAsync(run.Pid);

        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'x');
        for (var written = 0; written < Bytes; written += chunk.Length)
        {
            await run.Stdin.WriteAsync(chunk);
        }
        await run.Stdin.FlushAsync();
        await Wait.UntilAsync(() => run.StdoutBytes >= Bytes, TimeSpan.FromSeconds(10), "cat passed the 1 MiB through");
        await run.WaitForAttemptsAsync(2, TimeSpan.FromSeconds(10));
        var later = await ResourceSample.TakeSteadyAsync(run.Pid);
        var clock = Stopwatch.StartNew();
        var code = await run.WaitAsync(TimeSpan.FromSeconds(20)); // stdin stays open: only the timeout can end it
        run.Stdin.Dispose();

        Assert.Equal(124, code);
        Assert.Equal(Bytes, run.StdoutBytes);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"the second 1.5 s attempt took {clock.Elapsed.TotalSeconds:0.0} s to end");
        var loaded = RunReport.Load(report);
        Assert.Equal(2, loaded.Attempts.Count);
        Assert.All(loaded.Attempts, attempt => Assert.Equal("timeout", loaded.Text(attempt, "outcome")));
        output.WriteLine($"stdin forever: budget-run in attempt 1 {before}, in attempt 2 {later}");
        Assert.NotNull(before);
        Assert.NotNull(later);
        ResourceNoise.AssertNoMemoryGrowth(before, later, "from the first attempt to the second");
    }
}
