using System.Globalization;

namespace BudgetRun.Ledgers;

/// <summary>
/// The window an account's limit applies to; spend is kept per window, so the next window starts empty.
/// <list type="bullet">
/// <item>None: one bucket for all time.</item>
/// <item>A fixed length (<c>1h</c>, <c>24h</c>, <c>7d</c>), aligned to the Unix epoch: window <c>n</c>
/// covers <c>[n·length, (n+1)·length)</c> seconds, so a <c>24h</c> window starts at 00:00 UTC and a
/// <c>7d</c> one on a Thursday (the epoch's weekday).</item>
/// <item>A calendar unit (<c>day</c>, <c>week</c>, <c>month</c>) in an IANA time zone (default UTC):
/// from local midnight, a week from Monday (ISO 8601), a month from the 1st; a day is 23 or 25 hours
/// when daylight saving time starts or ends.</item>
/// </list>
/// </summary>
internal readonly record struct BudgetWindow
{
    private const string AllTime = "all";

    private readonly string? _zone;

    private BudgetWindow(long seconds, CalendarUnit calendar, string? zone)
    {
        Seconds = seconds;
        Calendar = calendar;
        _zone = zone;
    }

    /// <summary>No window: one bucket for all time.</summary>
    public static BudgetWindow None => default;

    /// <summary>A fixed window's length in seconds; 0 without a window and for a calendar window.</summary>
    public long Seconds { get; }

    /// <summary>The calendar unit; <see cref="CalendarUnit.None"/> for no window and for a fixed one.</summary>
    public CalendarUnit Calendar { get; }

    /// <summary>The IANA zone a calendar window's days begin in; null for the others (they are aligned to the epoch).</summary>
    public string? TimeZoneId => Calendar == CalendarUnit.None ? null : _zone ?? TimeZones.Utc;

    public bool IsNone => Seconds == 0 && Calendar == CalendarUnit.None;

    /// <summary>A fixed window's length; null without a window and for a calendar window (its length varies).</summary>
    public TimeSpan? Length => Seconds == 0 ? null : TimeSpan.FromSeconds(Seconds);

    public static BudgetWindow FromSeconds(long seconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seconds);
        return new BudgetWindow(seconds, CalendarUnit.None, null);
    }

    public static BudgetWindow From(TimeSpan? length) => length is { } value
        ? FromSeconds(checked((long)value.TotalSeconds))
        : None;

    /// <summary>A calendar window in <paramref name="timeZoneId"/> (null: UTC), which must be known to the system.</summary>
    public static BudgetWindow FromCalendar(CalendarUnit unit, string? timeZoneId = null)
    {
        if (unit == CalendarUnit.None)
        {
            throw new ArgumentOutOfRangeException(nameof(unit), unit, "a calendar window needs a unit");
        }
        var zone = TimeZones.Find(timeZoneId);
        return new BudgetWindow(0, unit, zone.Id == TimeZoneInfo.Utc.Id ? null : zone.Id);
    }

    /// <summary>This window with its days beginning in <paramref name="timeZoneId"/>; only a calendar window has a zone.</summary>
    public BudgetWindow InZone(string? timeZoneId) => Calendar == CalendarUnit.None
        ? throw new InvalidOperationException($"a {this} window is aligned to the Unix epoch: it has no time zone")
        : FromCalendar(Calendar, timeZoneId);

    /// <summary>
    /// Parses <c>day</c>, <c>week</c>, <c>month</c> (calendar windows in UTC; see <see cref="InZone"/>)
    /// and <c>90s</c>, <c>30m</c>, <c>1h</c>, <c>24h</c>, <c>7d</c> (a whole number and a unit).
    /// </summary>
    public static bool TryParse(string? text, out BudgetWindow window)
    {
        window = None;
        if (CalendarUnitOf(text) is { } calendar)
        {
            window = new BudgetWindow(0, calendar, null);
            return true;
        }
        if (string.IsNullOrWhiteSpace(text) || text.Length < 2)
        {
            return false;
        }
        var unit = char.ToLowerInvariant(text[^1]) switch
        {
            's' => 1L,
            'm' => 60L,
            'h' => 3600L,
            'd' => 86_400L,
            _ => 0L,
        };
        if (unit == 0
            || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            || count <= 0
            || count > 3660L * 86_400L / unit)
        {
            return false;
        }
        window = FromSeconds(count * unit);
        return true;
    }

    /// <summary>The number of the fixed window that contains <paramref name="at"/>; 0 without a window or for a calendar one.</summary>
    public long IndexAt(DateTimeOffset at) => Seconds == 0 ? 0 : FloorDiv(at.ToUnixTimeSeconds(), Seconds);

    /// <summary>When the window containing <paramref name="at"/> began; null without a window.</summary>
    public DateTimeOffset? StartsAt(DateTimeOffset at) => IsNone
        ? null
        : Calendar != CalendarUnit.None ? CalendarBounds(at).Start : DateTimeOffset.FromUnixTimeSeconds(IndexAt(at) * Seconds);

    /// <summary>When the window containing <paramref name="at"/> ends; null without a window.</summary>
    public DateTimeOffset? EndsAt(DateTimeOffset at) => IsNone
        ? null
        : Calendar != CalendarUnit.None ? CalendarBounds(at).End : DateTimeOffset.FromUnixTimeSeconds((IndexAt(at) + 1) * Seconds);

    /// <summary>
    /// The name of the bucket that spend at <paramref name="at"/> belongs to: <c>all</c>,
    /// <c>86400s:20415</c>, or <c>day@Europe/Berlin:2026-03-29</c> (the local date the window
    /// starts on). It names the window's kind too, so a window changed by <c>budget set</c> starts
    /// a bucket of its own instead of inheriting the old one's spend under another reading.
    /// </summary>
    public string BucketAt(DateTimeOffset at)
    {
        if (IsNone)
        {
            return AllTime;
        }
        if (Calendar == CalendarUnit.None)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{Seconds}s:{IndexAt(at)}");
        }
        var (_, _, localStart) = CalendarBounds(at);
        return string.Create(CultureInfo.InvariantCulture, $"{ToString()}@{TimeZoneId}:{localStart:yyyy-MM-dd}");
    }

    /// <summary><c>none</c>, <c>day</c>, <c>week</c>, <c>month</c>, or a fixed length in its largest whole unit (<c>7d</c>, <c>90m</c>).</summary>
    public override string ToString() => Calendar switch
    {
        CalendarUnit.Day => "day",
        CalendarUnit.Week => "week",
        CalendarUnit.Month => "month",
        _ => IsNone
            ? "none"
            : (Seconds % 86_400 == 0 ? $"{Seconds / 86_400}d"
                : Seconds % 3600 == 0 ? $"{Seconds / 3600}h"
                : Seconds % 60 == 0 ? $"{Seconds / 60}m"
                : $"{Seconds}s"),
    };

    /// <summary>The window as a person reads it: <c>day in Europe/Berlin</c>, <c>7d (epoch-aligned)</c>, <c>none</c>.</summary>
    public string Describe() => Calendar != CalendarUnit.None ? $"{this} in {TimeZoneId}" : IsNone ? "none" : $"{this} (epoch-aligned)";

    /// <summary>The calendar unit <paramref name="text"/> names (<c>day</c>, <c>week</c>, <c>month</c>, any case); null otherwise.</summary>
    public static CalendarUnit? CalendarUnitOf(string? text) => text?.ToLowerInvariant() switch
    {
        "day" => CalendarUnit.Day,
        "week" => CalendarUnit.Week,
        "month" => CalendarUnit.Month,
        _ => null,
    };

    private (DateTimeOffset Start, DateTimeOffset End, DateTime LocalStart) CalendarBounds(DateTimeOffset at)
    {
        var zone = TimeZones.Find(_zone);
        var date = TimeZoneInfo.ConvertTime(at, zone).DateTime.Date;
        var start = Calendar switch
        {
            CalendarUnit.Day => date,
            CalendarUnit.Week => date.AddDays(-(((int)date.DayOfWeek + 6) % 7)),
            _ => new DateTime(date.Year, date.Month, 1, 0, 0, 0, DateTimeKind.Unspecified),
        };
        var next = Calendar switch
        {
            CalendarUnit.Day => start.AddDays(1),
            CalendarUnit.Week => start.AddDays(7),
            _ => start.AddMonths(1),
        };
        return (TimeZones.StartOf(start, zone), TimeZones.StartOf(next, zone), start);
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}
