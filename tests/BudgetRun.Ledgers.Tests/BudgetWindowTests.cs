namespace BudgetRun.Ledgers.Tests;

public sealed class BudgetWindowTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("1h", 3600)]
    [InlineData("24h", 86_400)]
    [InlineData("7d", 604_800)]
    [InlineData("7D", 604_800)]
    public void TryParse_ReadsACountAndAUnit(string text, long seconds)
    {
        Assert.True(BudgetWindow.TryParse(text, out var window));
        Assert.Equal(seconds, window.Seconds);
        Assert.Equal(TimeSpan.FromSeconds(seconds), window.Length);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("h")]
    [InlineData("0h")]
    [InlineData("-1h")]
    [InlineData("1.5h")]
    [InlineData("24")]
    [InlineData("1w")]
    [InlineData(" 1h")]
    [InlineData("99999999999d")]
    public void TryParse_RefusesAnythingElse(string? text) => Assert.False(BudgetWindow.TryParse(text, out _));

    [Fact]
    public void DayWindow_StartsAtMidnightUtc()
    {
        Assert.True(BudgetWindow.TryParse("24h", out var day));
        var evening = new DateTimeOffset(2026, 3, 1, 23, 59, 59, TimeSpan.Zero);
        var midnight = new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
        var inTokyo = new DateTimeOffset(2026, 3, 2, 8, 30, 0, TimeSpan.FromHours(9)); // 23:30 UTC on the 1st

        Assert.Equal(midnight, day.EndsAt(evening));
        Assert.Equal(midnight.AddDays(1), day.EndsAt(midnight));
        Assert.Equal(day.IndexAt(evening) + 1, day.IndexAt(midnight));
        Assert.Equal(day.BucketAt(evening), day.BucketAt(inTokyo));
        Assert.Equal(midnight.ToUnixTimeSeconds() / 86_400, day.IndexAt(midnight));
    }

    [Fact]
    public void WeekWindow_StartsOnThursdayAtMidnightUtc_TheEpochsWeekday()
    {
        Assert.True(BudgetWindow.TryParse("7d", out var week));

        var end = week.EndsAt(new DateTimeOffset(2026, 3, 4, 12, 0, 0, TimeSpan.Zero))!.Value;

        Assert.Equal((DayOfWeek.Thursday, TimeSpan.Zero), (end.DayOfWeek, end.TimeOfDay));
    }

    [Fact]
    public void Buckets_NameTheLength_SoDifferentWindowsNeverShareOne()
    {
        var at = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

        Assert.Equal("all", BudgetWindow.None.BucketAt(at));
        Assert.Null(BudgetWindow.None.EndsAt(at));
        Assert.NotEqual(BudgetWindow.FromSeconds(3600).BucketAt(at), BudgetWindow.FromSeconds(86_400).BucketAt(at));
        Assert.Equal("86400s:20513", BudgetWindow.FromSeconds(86_400).BucketAt(at));
    }

    [Theory]
    [InlineData(0, "none")]
    [InlineData(90, "90s")]
    [InlineData(1800, "30m")]
    [InlineData(7200, "2h")]
    [InlineData(604_800, "7d")]
    public void ToString_IsTheShortForm(long seconds, string text) => Assert.Equal(text, BudgetWindow.FromSeconds(seconds).ToString());
}
