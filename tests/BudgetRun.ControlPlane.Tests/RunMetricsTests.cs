using System.Reflection;
using System.Text;
using System.Text.Json.Serialization;
using BudgetRun.ControlPlane.Tests.Fakes;
using BudgetRun.Engine;

namespace BudgetRun.ControlPlane.Tests;

/// <summary>
/// The series a run publishes (names and labels are a contract: README, examples/prometheus), each
/// test on a fresh registry: <see cref="RunMetrics"/> makes its own with Metrics.NewCustomRegistry.
/// </summary>
public sealed class RunMetricsTests
{
    private const string Workload = "metrics-tests";

    /// <summary>The <c>outcome</c> label values the README lists.</summary>
    private static readonly string[] _documentedOutcomes = ["success", "failure", "timeout", "killed", "signal", "start_error"];

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
            MetricNames.Backoff, MetricNames.ChildRunning, MetricNames.KillSwitch, MetricNames.LastExitCode, MetricNames.LedgerErrors];
        Assert.Equal(families.Order(), text.Types.Keys.Order());
        Assert.Equal(("counter", "gauge", "histogram"), (text.Types[MetricNames.Attempts], text.Types[MetricNames.Budget], text.Types[MetricNames.AttemptDuration]));
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
