namespace BudgetRun.Cli.Tests.ControlPlane;

/// <summary>
/// A metered attempt seen while it runs, with a real run and its real control plane:
/// <c>/status</c>'s <c>meter</c> (cost so far, what is reserved, until when it pays, the next
/// slice) and the gauges <c>budget_run_attempt_cost_so_far_cents</c>,
/// <c>budget_run_meter_rate_cents_per_second</c> and <c>budget_run_meter_next_slice_timestamp_seconds</c>.
/// </summary>
public sealed class MeterStatusTests : ControlPlaneTest
{
    [Fact]
    public async Task WhileAMeteredAttemptRuns_StatusAndMetricsShowItsCostSoFar_TheRate_AndTheNextSlice()
    {
        // 5 cents an attempt plus a cent a second, in one-second slices.
        using var run = Start([.. Loopback, "--max-attempts", "1", "--max-cost-cents", "100", "--cost-per-attempt-cents", "5",
            "--cost-per-minute-cents", "60", "--meter-slice", "1s", "--kill-grace", "200ms", "--", "sleep", "30"],
            new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = ControlToken });
        using var client = await ControlPlaneClient.ConnectAsync(run);
        await WaitForStateAsync(client, run, "running");
        // Two seconds in: at least two slices begun.
        await Wait.UntilAsync(() => Meter(client).GetAwaiter().GetResult() is { } m && Field(m, "costSoFarCents").GetInt64() >= 7,
            TimeSpan.FromSeconds(15), "two seconds of cost", run);

        var meter = (await Meter(client))!.Value;
        var metrics = await client.MetricsAsync();
        var now = DateTimeOffset.UtcNow;

        Assert.Equal(1, Field(meter, "attempt").GetInt32());
        Assert.Equal("wall", Field(meter, "basis").GetString());
        Assert.Equal(1m, Field(meter, "centsPerSecond").GetDecimal());
        var cost = Field(meter, "costSoFarCents").GetInt64();
        var reserved = Field(meter, "reservedCents").GetInt64();
        Assert.InRange(cost, 7, reserved);
        var paidUntil = Field(meter, "paidUntil").GetDateTimeOffset();
        var nextSlice = Field(meter, "nextSliceAt").GetDateTimeOffset();
        Assert.True(nextSlice < paidUntil, $"the next slice ({nextSlice:O}) is reserved before the paid time ends ({paidUntil:O})");
        Assert.InRange(paidUntil - now, TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(3));
        Assert.InRange(metrics.Value("budget_run_attempt_cost_so_far_cents"), cost, cost + 3);
        Assert.Equal(1, metrics.Value("budget_run_meter_rate_cents_per_second", "basis=wall"));
        var nextSliceMetric = DateTimeOffset.FromUnixTimeMilliseconds((long)(metrics.Value("budget_run_meter_next_slice_timestamp_seconds") * 1000));
        Assert.InRange(nextSliceMetric - now, TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(3));

        run.Signal(Posix.SIGTERM);
        (await run.WaitAsync()).AssertExitCode(143);
    }

    [Fact]
    public async Task WithoutAMeter_StatusHasNoMeter_AndTheCostSoFarIsZero()
    {
        using var run = Start([.. Loopback, "--max-attempts", "1", "--cost-per-attempt-cents", "5", "--", "sleep", "30"],
            new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = ControlToken });
        using var client = await ControlPlaneClient.ConnectAsync(run);
        await WaitForStateAsync(client, run, "running");

        var status = await client.StatusAsync();
        var metrics = await client.MetricsAsync();

        Assert.False(status.TryGetProperty("meter", out _), status.ToString());
        Assert.Equal(0, metrics.Value("budget_run_attempt_cost_so_far_cents"));
        Assert.DoesNotContain(metrics.Samples, sample => sample.Name is "budget_run_meter_rate_cents_per_second" or "budget_run_meter_next_slice_timestamp_seconds");

        run.Signal(Posix.SIGTERM);
        (await run.WaitAsync()).AssertExitCode(143);
    }

    [Fact]
    public async Task AfterTheMeteredAttempt_TheMeterIsGone_DuringTheBackoff()
    {
        using var run = Start([.. Loopback, "--max-attempts", "2", "--max-cost-cents", "100", "--cost-per-minute-cents", "60",
            "--meter-slice", "1s", "--kill-grace", "200ms", "--base-delay", "20s", "--", .. Child("--count", Scratch.Path("attempts"), "exit", "3")],
            new Dictionary<string, string?> { ["BUDGET_RUN_CONTROL_TOKEN"] = ControlToken });
        using var client = await ControlPlaneClient.ConnectAsync(run);
        await WaitForStateAsync(client, run, "backingOff");

        var status = await client.StatusAsync();
        var metrics = await client.MetricsAsync();

        Assert.False(status.TryGetProperty("meter", out _), status.ToString());
        Assert.Equal(0, metrics.Value("budget_run_attempt_cost_so_far_cents"));
        Assert.DoesNotContain(metrics.Samples, sample => sample.Name == "budget_run_meter_next_slice_timestamp_seconds");
        Assert.Equal(1, metrics.Value("budget_run_cost_cents_total")); // the attempt's second begun, charged when it ended

        run.Signal(Posix.SIGTERM);
        (await run.WaitAsync()).AssertExitCode(143);
    }

    private static async Task<System.Text.Json.JsonElement?> Meter(ControlPlaneClient client) =>
        (await client.StatusAsync()).TryGetProperty("meter", out var meter) ? meter : null;
}
