namespace BudgetRun.Ledgers.Tests;

/// <summary>
/// Calendar windows begin at local midnight in the account's zone: the days daylight saving time
/// starts and ends are 23 and 25 hours long, a week starts on Monday, a month on the 1st.
/// </summary>
public sealed class CalendarWindowTests
{
    private static readonly TimeSpan Cet = TimeSpan.FromHours(1);
    private static readonly TimeSpan Cest = TimeSpan.FromHours(2);

    [Theory]
    [InlineData("day", "day")]
    [InlineData("Week", "week")]
    [InlineData("MONTH", "month")]
    public void TryParse_ReadsTheCalendarUnits_InUtc(string text, string unit)
    {
        Assert.True(BudgetWindow.TryParse(text, out var window));
        Assert.Equal(unit, window.ToString());
        Assert.Equal("UTC", window.TimeZoneId);
        Assert.Null(window.Length);
        Assert.False(window.IsNone);
    }

    [Fact]
    public void BerlinDay_WhenSummerTimeStarts_Is23Hours()
    {
        var day = BudgetWindow.FromCalendar(CalendarUnit.Day, "Europe/Berlin");
        var morning = new DateTimeOffset(2026, 3, 29, 10, 0, 0, Cest);

        Assert.Equal(new DateTimeOffset(2026, 3, 29, 0, 0, 0, Cet), day.StartsAt(morning));
        Assert.Equal(new DateTimeOffset(2026, 3, 30, 0, 0, 0, Cest), day.EndsAt(morning));
        Assert.Equal(TimeSpan.FromHours(23), day.EndsAt(morning) - day.StartsAt(morning));
        Assert.Equal("day@Europe/Berlin:2026-03-29", day.BucketAt(morning));
    }

    [Fact]
    public void BerlinDay_WhenSummerTimeEnds_Is25Hours_AndTheRepeatedHourBelongsToIt()
    {
        var day = BudgetWindow.FromCalendar(CalendarUnit.Day, "Europe/Berlin");
        var firstTwoThirty = new DateTimeOffset(2026, 10, 25, 2, 30, 0, Cest);
        var secondTwoThirty = new DateTimeOffset(2026, 10, 25, 2, 30, 0, Cet);

        Assert.Equal(TimeSpan.FromHours(25), day.EndsAt(firstTwoThirty) - day.StartsAt(firstTwoThirty));
        Assert.Equal(day.BucketAt(firstTwoThirty), day.BucketAt(secondTwoThirty));
        Assert.Equal(new DateTimeOffset(2026, 10, 26, 0, 0, 0, Cet), day.EndsAt(secondTwoThirty));
    }

    [Fact]
    public void BerlinDay_ChangesBucketAtLocalMidnight_NotAtUtcMidnight()
    {
        var day = BudgetWindow.FromCalendar(CalendarUnit.Day, "Europe/Berlin");
        var beforeMidnight = new DateTimeOffset(2026, 7, 1, 23, 59, 59, Cest);
        var afterMidnight = new DateTimeOffset(2026, 7, 2, 0, 0, 0, Cest); // 22:00 UTC on the 1st

        Assert.NotEqual(day.BucketAt(beforeMidnight), day.BucketAt(afterMidnight));
        Assert.Equal(afterMidnight, day.EndsAt(beforeMidnight));
        Assert.Equal(afterMidnight, day.StartsAt(afterMidnight));
    }

    [Fact]
    public void Week_StartsOnMonday_AcrossAMonthEnd()
    {
        var week = BudgetWindow.FromCalendar(CalendarUnit.Week);
        var sunday = new DateTimeOffset(2026, 3, 1, 23, 59, 0, TimeSpan.Zero); // a Sunday

        Assert.Equal(new DateTimeOffset(2026, 2, 23, 0, 0, 0, TimeSpan.Zero), week.StartsAt(sunday));
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero), week.EndsAt(sunday));
        Assert.Equal("week@UTC:2026-02-23", week.BucketAt(sunday));
    }

    [Fact]
    public void BerlinWeek_ContainingTheSpringChange_Is167Hours()
    {
        var week = BudgetWindow.FromCalendar(CalendarUnit.Week, "Europe/Berlin");
        var at = new DateTimeOffset(2026, 3, 27, 12, 0, 0, Cet); // Friday

        Assert.Equal(new DateTimeOffset(2026, 3, 23, 0, 0, 0, Cet), week.StartsAt(at));
        Assert.Equal(TimeSpan.FromHours(167), week.EndsAt(at) - week.StartsAt(at));
    }

    [Theory]
    [InlineData(2026, 1, 31, 2026, 2, 1)]
    [InlineData(2026, 2, 28, 2026, 3, 1)]
    [InlineData(2028, 2, 29, 2028, 3, 1)]
    [InlineData(2026, 12, 31, 2027, 1, 1)]
    public void Month_EndsOnTheFirstOfTheNext(int year, int month, int day, int nextYear, int nextMonth, int nextDay)
    {
        var window = BudgetWindow.FromCalendar(CalendarUnit.Month);
        var lastSecond = new DateTimeOffset(year, month, day, 23, 59, 59, TimeSpan.Zero);

        Assert.Equal(new DateTimeOffset(year, month, 1, 0, 0, 0, TimeSpan.Zero), window.StartsAt(lastSecond));
        Assert.Equal(new DateTimeOffset(nextYear, nextMonth, nextDay, 0, 0, 0, TimeSpan.Zero), window.EndsAt(lastSecond));
        Assert.NotEqual(window.BucketAt(lastSecond), window.BucketAt(lastSecond.AddSeconds(1)));
    }

    [Fact]
    public void BerlinMonth_OfTheAutumnChange_Has745Hours()
    {
        var month = BudgetWindow.FromCalendar(CalendarUnit.Month, "Europe/Berlin");
        var at = new DateTimeOffset(2026, 10, 15, 12, 0, 0, Cest);

        Assert.Equal(TimeSpan.FromHours(31 * 24 + 1), month.EndsAt(at) - month.StartsAt(at));
        Assert.Equal("month@Europe/Berlin:2026-10-01", month.BucketAt(at));
    }

    [Fact]
    public void Day_InAZoneWhoseClocksSkipMidnight_StartsAfterTheGap()
    {
        // America/Santiago starts summer time at 00:00 (clocks jump to 01:00): 2026-09-06.
        var day = BudgetWindow.FromCalendar(CalendarUnit.Day, "America/Santiago");
        var noon = new DateTimeOffset(2026, 9, 6, 12, 0, 0, TimeSpan.FromHours(-3));

        Assert.Equal(new DateTimeOffset(2026, 9, 6, 1, 0, 0, TimeSpan.FromHours(-3)), day.StartsAt(noon));
        Assert.Equal(TimeSpan.FromHours(23), day.EndsAt(noon) - day.StartsAt(noon));
    }

    [Fact]
    public void FixedSevenDays_IsEpochAligned_AndStartsOnAThursday()
    {
        Assert.True(BudgetWindow.TryParse("7d", out var week));
        var start = week.StartsAt(new DateTimeOffset(2026, 3, 4, 12, 0, 0, TimeSpan.Zero))!.Value;

        Assert.Equal(DayOfWeek.Thursday, start.DayOfWeek);
        Assert.Null(week.TimeZoneId);
        Assert.Throws<InvalidOperationException>(() => week.InZone("Europe/Berlin"));
    }

    [Fact]
    public void UnknownZone_IsRefused()
    {
        Assert.False(TimeZones.TryFind("Mars/Olympus_Mons", out _));
        Assert.False(TimeZones.TryFind(" Europe/Berlin", out _));
        Assert.True(TimeZones.TryFind("utc", out var utc));
        Assert.Equal(TimeZoneInfo.Utc, utc);
        Assert.Throws<InvalidDataException>(() => BudgetWindow.FromCalendar(CalendarUnit.Day, "Mars/Olympus_Mons"));
    }
}
