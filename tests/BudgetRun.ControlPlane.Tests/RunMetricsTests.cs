using System.Reflection;
using System.Text;
using System.Text.Json.Serialization;
using BudgetRun.ControlPlane.Tests.Fakes;
using BudgetRun.Engine;
using BudgetRun.Ledgers;

namespace BudgetRun.ControlPlane.Tests;

/// <summary>
/// The series a run publishes (names and labels are a contract: README, examples/prometheus), each
/// test on a fresh registry: <see cref="RunMetrics"/> makes its own with Metrics.NewCustomRegistry.
/// </summary>
public sealed class RunMetricsTests
{
    private const string Workload = "metrics-tests";

    /// <summary>The <c>outcome</c> label values the README lists.</summary>
    private static readonly string[] _documentedOutcomes = ["success", "failure", "timeout", "killed", "signal", "oom", "unhealthy", "start_error"];

    private readonly LedgerSwitch _switch = new();
    private readonly FakeBudgetLedger _ledger;
    private bool _killed;

    public RunMetricsTests() => _ledger = new FakeBudgetLedger(1000, _switch);

    /// <summary>The JSON name of every <see cref="AttemptKind"/>, read from its attribute: the label must be the report's word.</summary>
    public static TheoryData<string> OutcomeLabels() => new(JsonNames());

    [Theory]
    [MemberData(nameof(OutcomeLabels))]
    public async Task Attempts_ArePublishedFromTheStart_ForTheOutcomeOfEveryAttemptKind(string outcome)
    {
        var metrics = NewMetrics();

        var text = await CollectAsync(metrics);

        Assert.Equal(0, text.Value(MetricNames.Attempts, $"{MetricNames.OutcomeLabel}={outcome}", $"{MetricNames.WorkloadLabel}={Workload}"));
    }

    [Fact]
    public async Task Attempts_HaveExactlyTheDocumentedOutcomes()
    {
        var text = await CollectAsync(NewMetrics());

        var outcomes = text.Samples.Where(sample => sample.Name == MetricNames.Attempts).Select(sample => sample.Labels[MetricNames.OutcomeLabel]);
        Assert.Equal(_documentedOutcomes.Order(), outcomes.Order());
        Assert.Equal(_documentedOutcomes.Order(), JsonNames().Order());
    }

    [Fact]
    public async Task EverySeries_CarriesTheWorkloadLabel_AndEveryDocumentedFamilyIsThere()
    {
        var text = await CollectAsync(NewMetrics());

        Assert.All(text.Samples, sample => Assert.Equal(Workload, sample.Labels[MetricNames.WorkloadLabel]));
        string[] families = [MetricNames.Attempts, MetricNames.Cost, MetricNames.Budget, MetricNames.Remaining, MetricNames.AttemptDuration,
            MetricNames.Backoff, MetricNames.ChildRunning, MetricNames.KillSwitch, MetricNames.LastExitCode, MetricNames.LedgerErrors, MetricNames.LastSuccess, MetricNames.BudgetWarning,
            MetricNames.ChildCpu, MetricNames.AttemptCostSoFar, MetricNames.MeterRate, MetricNames.MeterNextSlice, MetricNames.AccountBudget, MetricNames.AccountSpent, MetricNames.AccountReserved, MetricNames.AccountRemaining, MetricNames.AccountKillSwitch];
        Assert.Equal(families.Order(), text.Types.Keys.Order());
        Assert.Equal(("counter", "gauge", "histogram"), (text.Types[MetricNames.Attempts], text.Types[MetricNames.Budget], text.Types[MetricNames.AttemptDuration]));
        // Without a ledger account the account families are declared but hold no series.
        Assert.DoesNotContain(text.Samples, sample => sample.Name.StartsWith("budget_run_account_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Metering_PublishesTheRunningAttemptsMeter_ReadAtEachScrape_AndRemovesItAfter()
    {
        var metrics = NewMetrics();
        var cost = 7L;
        var next = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        metrics.Metering(new AttemptMeter(() => new MeterReading(2, "cpu", 0.5m, cost, 40, next.AddSeconds(10), next)));

        var first = await CollectAsync(metrics);
        cost = 9;
        var second = await CollectAsync(metrics);
        metrics.Metering(null);
        var after = await CollectAsync(metrics);

        Assert.Equal(7, first.Value(MetricNames.AttemptCostSoFar));
        Assert.Equal(0.5, first.Value(MetricNames.MeterRate, "basis=cpu"));
        Assert.Equal(1_800_000_000, first.Value(MetricNames.MeterNextSlice));
        Assert.Equal(9, second.Value(MetricNames.AttemptCostSoFar));
        Assert.Equal(0, after.Value(MetricNames.AttemptCostSoFar));
        Assert.DoesNotContain(after.Samples, sample => sample.Name is MetricNames.MeterRate or MetricNames.MeterNextSlice);
    }

    [Fact]
    public async Task AttemptEnded_CountsTheOutcomeTheCostTheDurationAndTheCode()
    {
        var metrics = NewMetrics();
        metrics.AttemptStarted(1, 100);
        metrics.AttemptEnded(Attempt(1, AttemptKind.Failure, exitCode: 3, cost: 20, seconds: 2));
        metrics.AttemptStarted(2, 101);
        metrics.AttemptEnded(Attempt(2, AttemptKind.Timeout, exitCode: null, cost: 20, seconds: 5));
        metrics.AttemptStarted(3, 102);
        metrics.AttemptEnded(Attempt(3, AttemptKind.Failure, exitCode: 7, cost: 15, seconds: 1));

        var text = await CollectAsync(metrics);

        Assert.Equal(2, text.Value(MetricNames.Attempts, "outcome=failure"));
        Assert.Equal(1, text.Value(MetricNames.Attempts, "outcome=timeout"));
        Assert.Equal(0, text.Value(MetricNames.Attempts, "outcome=success"));
        Assert.Equal(55, text.Value(MetricNames.Cost));
        Assert.Equal(3, text.Value(MetricNames.AttemptDuration + "_count"));
        Assert.Equal(8, text.Value(MetricNames.AttemptDuration + "_sum"));
        Assert.Equal(7, text.Value(MetricNames.LastExitCode));
        Assert.Equal(0, text.Value(MetricNames.ChildRunning));
    }

    [Fact]
    public async Task AttemptEnded_AddsTheCpuSecondsItsCgroupCounted_AndNothingWithoutOne()
    {
        var metrics = NewMetrics();
        metrics.AttemptEnded(new AttemptRecord(1, DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(1), AttemptKind.Failure, 1, null, 0, TimeSpan.Zero,
            new AttemptUsage(0.25, null, null)));
        metrics.AttemptEnded(new AttemptRecord(2, DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(1), AttemptKind.Failure, 1, null, 0, TimeSpan.Zero));
        metrics.AttemptEnded(new AttemptRecord(3, DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(1), AttemptKind.Success, 0, null, 0, TimeSpan.Zero,
            new AttemptUsage(1.5, 1 << 20, 0)));

        var text = await CollectAsync(metrics);

        Assert.Equal(1.75, text.Value(MetricNames.ChildCpu), 6);
        Assert.Equal("counter", text.Types[MetricNames.ChildCpu]);
    }

    [Fact]
    public async Task AttemptEnded_ByASignal_RecordsTheCodeThePolicySaw()
    {
        var metrics = NewMetrics();
        metrics.AttemptEnded(new AttemptRecord(1, DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(1), AttemptKind.Signal, null, 9, 0, TimeSpan.Zero));

        var text = await CollectAsync(metrics);

        Assert.Equal(ExitCodes.SignalBase + 9, text.Value(MetricNames.LastExitCode));
        Assert.Equal(1, text.Value(MetricNames.Attempts, "outcome=signal"));
    }

    [Fact]
    public async Task ChildRunningAndBackoff_FollowTheRunsEvents()
    {
        var metrics = NewMetrics();

        metrics.AttemptStarted(1, 100);
        var running = await CollectAsync(metrics);
        metrics.AttemptEnded(Attempt(1, AttemptKind.Failure, 1, 0, 1));
        metrics.BackingOff(TimeSpan.FromSeconds(12.5), DateTimeOffset.UnixEpoch);
        var backingOff = await CollectAsync(metrics);
        metrics.PhaseChanged(RunPhase.Running);
        var again = await CollectAsync(metrics);

        Assert.Equal((1, 0), (running.Value(MetricNames.ChildRunning), running.Value(MetricNames.Backoff)));
        Assert.Equal((0, 12.5), (backingOff.Value(MetricNames.ChildRunning), backingOff.Value(MetricNames.Backoff)));
        Assert.Equal(0, again.Value(MetricNames.Backoff));
    }

    [Fact]
    public async Task BudgetWarning_IsZeroFromTheStart_AndOneOnceCrossed()
    {
        var metrics = NewMetrics();
        var before = await CollectAsync(metrics);

        metrics.BudgetWarningCrossed();

        Assert.Equal(0, before.Value(MetricNames.BudgetWarning, $"{MetricNames.WorkloadLabel}={Workload}"));
        Assert.Equal(1, (await CollectAsync(metrics)).Value(MetricNames.BudgetWarning, $"{MetricNames.WorkloadLabel}={Workload}"));
    }

    [Fact]
    public async Task LastSuccess_HasNoSeriesUntilAnAttemptSucceeds_ThenItsEndInUnixSeconds()
    {
        var metrics = NewMetrics();
        var before = await CollectAsync(metrics);
        metrics.AttemptEnded(Attempt(1, AttemptKind.Failure, exitCode: 1, cost: 0, seconds: 3));
        var failed = await CollectAsync(metrics);
        var start = new DateTimeOffset(2026, 12, 3, 6, 0, 0, TimeSpan.Zero);
        metrics.AttemptEnded(new AttemptRecord(2, start, TimeSpan.FromSeconds(2.5), AttemptKind.Success, 0, null, 0, TimeSpan.Zero));
        var succeeded = await CollectAsync(metrics);
        metrics.AttemptEnded(new AttemptRecord(3, start.AddMinutes(1), TimeSpan.FromSeconds(1), AttemptKind.Failure, 1, null, 0, TimeSpan.Zero));
        var failedAgain = await CollectAsync(metrics);

        Assert.DoesNotContain(before.Samples, sample => sample.Name == MetricNames.LastSuccess);
        Assert.DoesNotContain(failed.Samples, sample => sample.Name == MetricNames.LastSuccess);
        Assert.Equal(start.AddSeconds(2.5).ToUnixTimeMilliseconds() / 1000.0, succeeded.Value(MetricNames.LastSuccess));
        Assert.Equal(succeeded.Value(MetricNames.LastSuccess), failedAgain.Value(MetricNames.LastSuccess)); // a failure never moves it
    }

    [Fact]
    public async Task SpentAndLedgerError_AddToTheirCounters()
    {
        var metrics = NewMetrics();

        metrics.Spent(42);
        metrics.Spent(8);
        metrics.LedgerError();

        var text = await CollectAsync(metrics);
        Assert.Equal((50, 1), (text.Value(MetricNames.Cost), text.Value(MetricNames.LedgerErrors)));
    }

    [Fact]
    public async Task BudgetGauges_AreReadFromTheLedgerAtEachCollect()
    {
        var metrics = NewMetrics();
        var before = await CollectAsync(metrics);
        await _ledger.TryReserveAsync(100, CancellationToken.None);
        await _ledger.RecordSpendAsync(50, CancellationToken.None);
        _killed = true;

        var after = await CollectAsync(metrics);

        Assert.Equal((1000, 1000, 0), (before.Value(MetricNames.Budget), before.Value(MetricNames.Remaining), before.Value(MetricNames.KillSwitch)));
        Assert.Equal((1000, 850, 1), (after.Value(MetricNames.Budget), after.Value(MetricNames.Remaining), after.Value(MetricNames.KillSwitch)));
    }

    [Fact]
    public async Task ACollect_WhileTheLedgerIsDown_KeepsTheLastBudgetAndStillShowsTheKillSwitch()
    {
        var metrics = NewMetrics();
        await _ledger.RecordSpendAsync(300, CancellationToken.None);
        await CollectAsync(metrics);
        _switch.Mode = LedgerMode.Down;
        _killed = true;

        var text = await CollectAsync(metrics);

        Assert.Equal((1000, 700), (text.Value(MetricNames.Budget), text.Value(MetricNames.Remaining)));
        Assert.Equal(1, text.Value(MetricNames.KillSwitch));
    }

    [Fact]
    public async Task AnAccount_PublishesOneSeriesPerLevelWithTerms_LabelledByBudgetKey()
    {
        var account = new FakeAccountLedger("acme/support/nightly", 500, _switch)
        {
            Levels =
            [
                new AccountStatus("acme", 10_000, 4_000, 30, 5_970, null, false, null),
                new AccountStatus("acme/support", 1_000, 990, 10, 0, null, true, "INC-7"),
            ],
        };
        await account.RecordSpendAsync(120, CancellationToken.None);
        var metrics = new RunMetrics(Workload, _ledger, () => _killed, account);

        var text = await CollectAsync(metrics);

        (string, double, double, double, double, double)[] expected =
            [("acme", 10_000, 4_000, 30, 5_970, 0), ("acme/support", 1_000, 990, 10, 0, 1), ("acme/support/nightly", 500, 120, 0, 380, 0)];
        Assert.Equal(expected,
            new[] { "acme", "acme/support", "acme/support/nightly" }.Select(key => (key,
                text.Value(MetricNames.AccountBudget, $"budget_key={key}"), text.Value(MetricNames.AccountSpent, $"budget_key={key}"),
                text.Value(MetricNames.AccountReserved, $"budget_key={key}"), text.Value(MetricNames.AccountRemaining, $"budget_key={key}"),
                text.Value(MetricNames.AccountKillSwitch, $"budget_key={key}"))).ToArray());
        // Bounded: the budget_key label only on the account gauges, one value per level.
        Assert.All(text.Samples.Where(sample => sample.Labels.ContainsKey(MetricNames.BudgetKeyLabel)),
            sample => Assert.StartsWith("budget_run_account_", sample.Name, StringComparison.Ordinal));
        Assert.Equal(3, text.Samples.Count(sample => sample.Name == MetricNames.AccountSpent));
    }

    [Fact]
    public async Task ALevel_ThatLosesItsLimitOrItsTerms_LosesItsSeries()
    {
        var account = new FakeAccountLedger("acme/nightly", 500, _switch)
        {
            Levels = [new AccountStatus("acme", 10_000, 0, 0, 10_000, null, false, null)],
        };
        var metrics = new RunMetrics(Workload, _ledger, () => _killed, account);
        var before = await CollectAsync(metrics);

        account.Levels = [new AccountStatus("acme", null, 40, 0, null, null, false, null)]; // limit removed, still a level
        var unlimited = await CollectAsync(metrics);
        account.Levels = null; // no terms left above the account
        var gone = await CollectAsync(metrics);

        Assert.Equal(10_000, before.Value(MetricNames.AccountBudget, "budget_key=acme"));
        Assert.DoesNotContain(unlimited.Samples, sample => sample.Name is MetricNames.AccountBudget or MetricNames.AccountRemaining && sample.Labels[MetricNames.BudgetKeyLabel] == "acme");
        Assert.Equal(40, unlimited.Value(MetricNames.AccountSpent, "budget_key=acme"));
        Assert.DoesNotContain(gone.Samples, sample => sample.Labels.GetValueOrDefault(MetricNames.BudgetKeyLabel) == "acme");
        Assert.Equal(500, gone.Value(MetricNames.AccountBudget, "budget_key=acme/nightly"));
    }

    [Fact]
    public async Task ACollect_WhileTheAccountCannotBeRead_KeepsTheLastLevelFigures()
    {
        var account = new FakeAccountLedger("acme/nightly", 500, _switch)
        {
            Levels = [new AccountStatus("acme", 10_000, 70, 0, 9_930, null, false, null)],
        };
        var metrics = new RunMetrics(Workload, _ledger, () => _killed, account);
        await CollectAsync(metrics);
        _switch.Mode = LedgerMode.Down;

        var text = await CollectAsync(metrics);

        Assert.Equal((10_000d, 70d), (text.Value(MetricNames.AccountBudget, "budget_key=acme"), text.Value(MetricNames.AccountSpent, "budget_key=acme")));
    }

    [Fact]
    public async Task TwoRuns_InOneProcess_DoNotShareSeries()
    {
        var first = NewMetrics();
        var second = NewMetrics();

        first.Spent(5);

        Assert.Equal(0, (await CollectAsync(second)).Value(MetricNames.Cost));
    }

    private static string[] JsonNames() =>
        [.. Enum.GetValues<AttemptKind>().Select(kind =>
            typeof(AttemptKind).GetField(kind.ToString())!.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()!.Name)];

    private RunMetrics NewMetrics() => new(Workload, _ledger, () => _killed);

    private static AttemptRecord Attempt(int number, AttemptKind kind, int? exitCode, long cost, double seconds) =>
        new(number, DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(seconds), kind, exitCode, null, cost, TimeSpan.Zero);

    private static async Task<PrometheusText> CollectAsync(RunMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream);
        return PrometheusText.Parse(Encoding.UTF8.GetString(stream.ToArray()));
    }
}
