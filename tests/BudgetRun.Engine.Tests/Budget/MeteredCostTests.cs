using BudgetRun.Engine.Budget;

namespace BudgetRun.Engine.Tests.Budget;

/// <summary>
/// The metered cost model: slices reserved ahead of the time they pay for, whole cents in the
/// ledger whatever the rate, and an attempt charged for the time it ran, never more than reserved.
/// </summary>
public sealed class MeteredCostTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Theory]
    [InlineData("10", 60, 10)]        // 10 cents a minute, one-minute slices
    [InlineData("0.5", 60, 1)]        // half a cent rounds up to a whole one
    [InlineData("1.5", 60, 2)]
    [InlineData("1.5", 120, 3)]       // a two-minute slice
    [InlineData("60", 1, 1)]          // a cent a second, one-second slices
    [InlineData("0.000001", 1, 1)]    // the smallest rate still reserves a cent
    [InlineData("7", 3600, 420)]      // an hour's slice
    public void SliceCents_IsTheSlicesTimeAtTheRate_RoundedUpToAWholeCent(string perMinute, int sliceSeconds, long expected)
    {
        var cost = new MeteredCost(0, decimal.Parse(perMinute, System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromSeconds(sliceSeconds));

        Assert.Equal(expected, cost.SliceCents);
        Assert.Equal(expected, cost.UpfrontCents);
    }

    [Fact]
    public void Upfront_IsThePerAttemptPricePlusTheFirstSlice()
    {
        var cost = new MeteredCost(25, 10, Minute);

        Assert.Equal(35, cost.UpfrontCents);
    }

    [Theory]
    [InlineData(0, 35, 45, 60)]    // paid for one slice: the second is due at 0:45, the first ends at 1:00
    [InlineData(70, 45, 105, 120)] // paid for two
    [InlineData(0, 25, -15, 0)]    // nothing metered is paid yet (a refused first slice never starts)
    public void NextTopUp_IsOneSlice_DueWhenAQuarterOfThePaidTimeIsLeft(int elapsedSeconds, long reserved, int dueSeconds, int paidSeconds)
    {
        var cost = new MeteredCost(25, 10, Minute);

        var topUp = cost.NextTopUp(TimeSpan.FromSeconds(elapsedSeconds), reserved);

        Assert.Equal(new CostTopUp(TimeSpan.FromSeconds(dueSeconds), 10, TimeSpan.FromSeconds(paidSeconds)), topUp);
    }

    [Theory]
    [InlineData(0, 45, 25)]        // ran for nothing: the per-attempt price only
    [InlineData(1, 45, 26)]        // one second at 10/min is a sixth of a cent: rounds up to 1
    [InlineData(6, 45, 26)]        // exactly one cent
    [InlineData(7, 45, 27)]
    [InlineData(90, 45, 40)]       // 1:30 is 15 cents of the two slices reserved
    [InlineData(150, 45, 45)]      // past what was reserved (grace overrun): never more than reserved
    public void Charge_IsThePerAttemptPricePlusTheTimeRan_RoundedUp_AtMostWhatWasReserved(int ranSeconds, long reserved, long expected)
    {
        var cost = new MeteredCost(25, 10, Minute);

        Assert.Equal(expected, cost.ChargeCents(TimeSpan.FromSeconds(ranSeconds), reserved, null));
    }

    [Fact]
    public void AnHourlyRate_ChargesLikeItsMinuteShare()
    {
        var hourly = new MeteredCost(0, 100m / 60m, Minute); // --cost-per-hour-cents 100

        Assert.Equal(2, hourly.SliceCents);
        Assert.Equal(100, hourly.ChargeCents(TimeSpan.FromHours(1), 200, null));
        Assert.Equal(51, hourly.ChargeCents(TimeSpan.FromMinutes(30.5), 200, null)); // 50.83 rounds up
    }

    [Fact]
    public void CostModels_MeterOnlyWithARate()
    {
        var plain = SupervisorOptionsFor(0m);
        var metered = SupervisorOptionsFor(12m);

        Assert.IsType<PerAttemptCost>(CostModels.For(plain));
        var cost = Assert.IsType<MeteredCost>(CostModels.For(metered));
        Assert.Equal(5 + 12, cost.UpfrontCents);
    }

    private static SupervisorOptions SupervisorOptionsFor(decimal perMinute) =>
        SupervisorOptions.Defaults with { Command = ["job"], CostPerAttemptCents = 5, CostPerMinuteCents = perMinute };
}
