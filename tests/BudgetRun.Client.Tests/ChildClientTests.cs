using System.Globalization;
using System.Net;

namespace BudgetRun.Client.Tests;

/// <summary>
/// <see cref="BudgetRunChild"/> against a real run: the job's reports reach the run's budget
/// (examples/FlakyBatch, a real .NET child that reads its environment), 402 is the typed
/// <see cref="BudgetExhaustedException"/>, the child's say on the retry changes the run, and
/// outside budget-run every call is a no-op.
/// </summary>
public sealed class ChildClientTests : IDisposable
{
    private readonly Scratch _scratch = new();
    private readonly string _controlToken = "Child.control." + Guid.NewGuid().ToString("N");

    private static string FlakyBatch => Repository.PathOf($"examples/FlakyBatch/bin/{Repository.Configuration}/net10.0/flaky-batch");

    [Fact]
    public async Task FlakyBatch_UnderBudgetRun_ReportsWhatEachRecordCost_OnTopOfTheAttempts()
    {
        var report = _scratch.Path("run.json");

        var result = await BudgetRunProcess.RunAsync(
            ["--listen", "127.0.0.1:0", "--max-attempts", "5", "--max-cost-cents", "200", "--cost-per-attempt-cents", "25", "--base-delay", "10ms",
                "--report", report, "--", FlakyBatch],
            new RunSettings { Environment = Flaky(failures: 2, recordCents: 5) });

        result.AssertExitCode(0).AssertNoStackTrace();
        var loaded = RunReport.Load(report);
        Assert.Equal(3, loaded.Attempts.Count);
        Assert.Equal(3 * 25 + 3 * 5, loaded.CostCents);
        var costLines = result.StdoutText.Split('\n').Where(line => line.Contains(" cost 5 cents; the run has spent ", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, costLines.Count);
        // Spent: the two failed attempts (50) and the records so far; remaining also leaves out the running attempt's 25.
        Assert.Equal("flaky-batch: record 3 cost 5 cents; the run has spent 65, 110 remain", costLines[2]);
    }

    [Fact]
    public async Task FlakyBatch_WhoseReportsUseUpTheBudget_GetsBudgetExhausted_AndTheRunEnds75()
    {
        var report = _scratch.Path("run.json");

        var result = await BudgetRunProcess.RunAsync(
            ["--listen", "127.0.0.1:0", "--max-attempts", "5", "--max-cost-cents", "100", "--cost-per-attempt-cents", "10",
                "--report", report, "--", FlakyBatch],
            new RunSettings { Environment = Flaky(failures: 0, recordCents: 40) });

        // The third report answers 402 and budget-run stops the attempt at once (the job may not
        // get to print its own line about it): what was reported is recorded, past the limit too.
        result.AssertExitCode(75).AssertNoStackTrace();
        Assert.Contains("flaky-batch: record 2 cost 40 cents; the run has spent 80, 10 remain", result.StdoutText, StringComparison.Ordinal);
        var loaded = RunReport.Load(report);
        Assert.Equal("budgetExhausted", loaded.Outcome);
        Assert.Single(loaded.Attempts);
        Assert.Equal(10 + (3 * 40), loaded.CostCents);
    }

    [Fact]
    public async Task FlakyBatch_OutsideBudgetRun_RunsUnchanged_AndReportsNothing()
    {
        var result = await BudgetRunProcess.RunProgramAsync(FlakyBatch, [], new RunSettings { Environment = Flaky(failures: 0, recordCents: 5) });

        result.AssertExitCode(0).AssertNoStackTrace();
        Assert.Contains("flaky-batch: batch complete", result.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain(" cost ", result.StdoutText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9/", null, "BUDGET_RUN_URL is set but BUDGET_RUN_TOKEN is not: both come from budget-run, or neither")]
    [InlineData(null, "Token.of.some.length.0123", "BUDGET_RUN_TOKEN is set but BUDGET_RUN_URL is not: both come from budget-run, or neither")]
    [InlineData("ftp://127.0.0.1/", "Token.of.some.length.0123", "BUDGET_RUN_URL is not an absolute http or https URL")]
    [InlineData("http://127.0.0.1:9/", "short", "BUDGET_RUN_TOKEN: a budget-run token is 16 to 4096 characters, not 5")]
    [InlineData("http://127.0.0.1:9/", "Token with spaces in it", "BUDGET_RUN_TOKEN: a budget-run token is printable ASCII without spaces")]
    public async Task HalfAConfiguration_IsAClearError_NotANoOp(string? url, string? token, string message)
    {
        var environment = Flaky(failures: 0, recordCents: 5);
        environment[BudgetRunChild.UrlVariable] = url;
        environment[BudgetRunChild.TokenVariable] = token;

        var result = await BudgetRunProcess.RunProgramAsync(FlakyBatch, [], new RunSettings { Environment = environment });

        result.AssertExitCode(2).AssertNoStackTrace();
        Assert.Equal($"flaky-batch: {message}", result.AssertOneStderrLine());
    }

    [Fact]
    public async Task ReportCost_AnswersTheRunsSpend_ThenThrowsBudgetExhaustedOnceTheBudgetIsSpent()
    {
        using var run = StartRun(["--max-attempts", "3", "--max-cost-cents", "100"], ["sleep", "600000"]);
        using var child = new BudgetRunChild(await Wait.ForControlPlaneAsync(run), _controlToken);

        Assert.True(child.IsSupervised);
        var first = await child.ReportCostAsync(30);
        Assert.Equal((30L, 70L), (first!.SpentCents, first.RemainingCents));

        var exhausted = await Assert.ThrowsAsync<BudgetExhaustedException>(() => child.ReportCostAsync(75));

        Assert.Equal(HttpStatusCode.PaymentRequired, exhausted.StatusCode);
        Assert.Equal((105L, 0L), (exhausted.SpentCents, exhausted.RemainingCents));
        var result = await run.WaitAsync();
        result.AssertExitCode(75).AssertNoStackTrace();
    }

    [Fact]
    public async Task DoNotRetry_EndsTheRunNotRetryable_WithTheReason()
    {
        var go = _scratch.Path("go");
        var report = _scratch.Path("run.json");
        using var run = StartRun(["--max-attempts", "3", "--base-delay", "10ms", "--report", report], ["sh", "-c", $"while [ ! -e '{go}' ]; do sleep 0.02; done; exit 3"]);
        using var child = new BudgetRunChild(await Wait.ForControlPlaneAsync(run), _controlToken);

        await child.DoNotRetryAsync("HTTP 403 from the paid API");
        File.WriteAllText(go, "");

        var result = await run.WaitAsync();
        result.AssertExitCode(3).AssertNoStackTrace();
        var loaded = RunReport.Load(report);
        Assert.Equal("notRetryable", loaded.Outcome);
        Assert.Equal("the child asked not to retry: HTTP 403 from the paid API", loaded.Text(loaded.Root, "message"));
        Assert.Single(loaded.Attempts);
    }

    [Fact]
    public async Task RetryAfter_LengthensTheNextWait_ToAtLeastWhatWasAsked()
    {
        var go = _scratch.Path("go");
        var report = _scratch.Path("run.json");
        using var run = StartRun(["--max-attempts", "2", "--base-delay", "10ms", "--report", report],
            ["sh", "-c", $"[ \"$BUDGET_RUN_ATTEMPT\" = 2 ] && exit 0; while [ ! -e '{go}' ]; do sleep 0.02; done; exit 1"]);
        using var child = new BudgetRunChild(await Wait.ForControlPlaneAsync(run), _controlToken);

        await child.RetryAfterAsync(TimeSpan.FromMilliseconds(1200.2));
        File.WriteAllText(go, "");

        var result = await run.WaitAsync();
        result.AssertExitCode(0).AssertNoStackTrace();
        var loaded = RunReport.Load(report);
        Assert.Equal(2, loaded.Attempts.Count);
        Assert.True(loaded.Number(loaded.Attempts[1], "delayBeforeMs") >= 1201, loaded.Json);
        Assert.Contains("next attempt in 1.201s, as the child asked (POST /retry)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWrongToken_IsA401BudgetRunException_AndRecordsNothing()
    {
        var report = _scratch.Path("run.json");
        using var run = StartRun(["--max-attempts", "1", "--max-cost-cents", "100", "--report", report], ["sleep", "600000"]);
        using var child = new BudgetRunChild(await Wait.ForControlPlaneAsync(run), "Not.the.token.of.this.run");

        var refused = await Assert.ThrowsAsync<BudgetRunException>(() => child.ReportCostAsync(10));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using var control = new BudgetRunChild(await Wait.ForControlPlaneAsync(run), _controlToken);
        Assert.Equal(1L, (await control.ReportCostAsync(1))!.SpentCents);
    }

    [Fact]
    public async Task ARunThatIsGone_IsABudgetRunExceptionWithoutAStatus_NamingOnlyTheOrigin()
    {
        using var child = new BudgetRunChild(new Uri($"http://127.0.0.1:{Ports.FreeLoopback()}/some/path?secret=1"), _controlToken);

        var refused = await Assert.ThrowsAsync<BudgetRunException>(() => child.ReportCostAsync(1));

        Assert.Null(refused.StatusCode);
        Assert.DoesNotContain("secret", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_controlToken, refused.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-5L)]
    [InlineData(1_000_000_000_001L)]
    public async Task ReportCost_OutOfRange_IsRefusedBeforeAnyRequest_EvenUnsupervised(long cents)
    {
        using var child = new BudgetRunChild(new Uri($"http://127.0.0.1:{Ports.FreeLoopback()}"), _controlToken);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => child.ReportCostAsync(cents));
    }

    public void Dispose() => _scratch.Dispose();

    private BudgetRunProcess StartRun(string[] options, string[] command) =>
        BudgetRunProcess.Start(["--listen", "127.0.0.1:0", .. options, "--", .. command],
            new RunSettings
            {
                Environment = new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = _controlToken },
                Timeout = TimeSpan.FromMinutes(2),
            });

    private Dictionary<string, string?> Flaky(int failures, long recordCents) => new()
    {
        ["FLAKY_STATE"] = _scratch.Path("flaky.state"),
        ["FLAKY_FAILURES"] = failures.ToString(CultureInfo.InvariantCulture),
        ["FLAKY_RECORD_CENTS"] = recordCents.ToString(CultureInfo.InvariantCulture),
        [BudgetRunChild.UrlVariable] = null,
        [BudgetRunChild.TokenVariable] = null,
    };
}
