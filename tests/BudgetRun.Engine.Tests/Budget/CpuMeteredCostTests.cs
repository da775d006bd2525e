using System.Globalization;
using BudgetRun.Engine.Budget;

namespace BudgetRun.Engine.Tests.Budget;

/// <summary>
/// Cost by measured CPU time: each slice reserves the most CPU time the attempt could use in it (its
/// wall time on every CPU), and the attempt is charged the CPU time its cgroup counted, rounded up
/// to a whole cent and never more than reserved.
/// </summary>
public sealed class CpuMeteredCostTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Theory]
    [InlineData("1", 1, 1, 1)]
    [InlineData("1", 1, 2, 2)]            // two CPUs: a second of wall time is up to two CPU seconds
    [InlineData("0.5", 60, 4, 120)]       // a minute on four CPUs at half a cent a CPU second
    [InlineData("0.000001", 1, 1, 1)]     // at least a cent
    [InlineData("0.3", 1, 3, 1)]          // 0.9 rounds up
    [InlineData("0.35", 1, 3, 2)]         // 1.05 rounds up
    public void SliceCents_IsTheSlicesWallTimeOnEveryCpu_AtTheRate_RoundedUp(string rate, int sliceSeconds, int cpus, long expected)
    {
        var cost = new CpuMeteredCost(0, decimal.Parse(rate, CultureInfo.InvariantCulture), TimeSpan.FromSeconds(sliceSeconds), cpus);

        Assert.Equal(expected, cost.SliceCents);
        Assert.Equal(expected, cost.UpfrontCents);
    }

    [Fact]
    public void Upfront_IsThePerAttemptPricePlusTheFirstSlice_TopUpsFollowTheWallClock()
    {
        var cost = new CpuMeteredCost(25, 10, Second * 4, cpus: 2); // a slice: 8 CPU seconds, 80 cents

        Assert.Equal(105, cost.UpfrontCents);
        Assert.Equal(new CostTopUp(Second * 3, 80, Second * 4), cost.NextTopUp(TimeSpan.Zero, 105));
        Assert.Equal(new CostTopUp(Second * 7, 80, Second * 8), cost.NextTopUp(Second * 3, 185));
    }

    [Theory]
    [InlineData(0.0, 185, 25)]         // used no CPU (it slept): the per-attempt price only
    [InlineData(0.000001, 185, 26)]    // a microsecond is a cent, rounded up
    [InlineData(1.0, 185, 35)]
    [InlineData(1.05, 185, 36)]        // 10.5 rounds up
    [InlineData(0.30000000000000004, 185, 28)] // the count is in microseconds: no cent for a double's noise
    [InlineData(16.0, 185, 185)]       // more than was reserved (the grace's overrun): never more than reserved
    public void Charge_IsTheMeasuredCpuTime_RoundedUp_AtMostWhatWasReserved(double cpuSeconds, long reserved, long expected)
    {
        var cost = new CpuMeteredCost(25, 10, Second * 4, cpus: 2);

        Assert.Equal(expected, cost.ChargeCents(Second * 9, reserved, new AttemptUsage(cpuSeconds, null, null)));
    }

    [Fact]
    public void Charge_WithoutTheCgroupsCount_IsEverythingReserved()
    {
        var cost = new CpuMeteredCost(25, 10, Second * 4, cpus: 2);

        Assert.Equal(185, cost.ChargeCents(Second, 185, null));
    }

    [Fact]
    public void CostModels_PickTheCpuMeter_ForACpuRate()
    {
        var options = new SupervisorOptions { Command = ["job"], CostPerAttemptCents = 5, CostPerCpuSecondCents = 2, MeterSlice = Second, MeterCpus = 3 };

        var cost = Assert.IsType<CpuMeteredCost>(CostModels.For(options));

        Assert.Equal(6, cost.SliceCents);
        Assert.Equal(11, cost.UpfrontCents);
    }

    [Theory]
    [InlineData("0-1\n", 2)]
    [InlineData("0", 1)]
    [InlineData("0-3,6,8-9", 7)]
    public void OnlineCpus_AreCountedFromTheirRanges(string list, int expected) =>
        Assert.Equal(expected, CpuCount.Parse(list));

    [Theory]
    [InlineData("")]
    [InlineData("a-b")]
    [InlineData("3-1")]
    [InlineData("0-1-2")]
    public void OnlineCpus_ThatAreNoList_AreNull(string list) =>
        Assert.Null(CpuCount.Parse(list));

    [Fact]
    public void OnlineCpus_OfThisMachine_AreAtLeastTheProcessorsThisProcessMayUse() =>
        Assert.True(CpuCount.Online() >= Environment.ProcessorCount);
}
