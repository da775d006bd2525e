using System.Globalization;

namespace BudgetRun.Ledgers;

/// <summary>
/// The fixed window an account's limit applies to, aligned to UTC: window <c>n</c> covers
/// <c>[n·length, (n+1)·length)</c> seconds since the Unix epoch, so a <c>24h</c> window starts at
/// 00:00 UTC (and a <c>7d</c> one on a Thursday, the epoch's weekday). Without a length the limit is
/// for all time. Spend is kept per window, so the next window starts empty.
/// </summary>
internal readonly record struct BudgetWindow
{
    private const string AllTime = "all";

    private BudgetWindow(long seconds) => Seconds = seconds;

    /// <summary>No window: one bucket for all time.</summary>
    public static BudgetWindow None => default;

    /// <summary>The window's length in seconds; 0 without a window.</summary>
    public long Seconds { get; }

    public bool IsNone => Seconds == 0;

    public TimeSpan? Length => IsNone ? null : TimeSpan.FromSeconds(Seconds);

    public static BudgetWindow FromSeconds(long seconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seconds);
        return new BudgetWindow(seconds);
    }

    public static BudgetWindow From(TimeSpan? length) => length is { } value
        ? FromSeconds(checked((long)value.TotalSeconds))
        : None;

    /// <summary>Parses <c>90s</c>, <c>30m</c>, <c>1h</c>, <c>24h</c>, <c>7d</c> (a whole number and a unit).</summary>
    public static bool TryParse(string? text, out BudgetWindow window)
    {
        window = None;
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
        window = new BudgetWindow(count * unit);
        return true;
    }

    /// <summary>The number of the window that contains <paramref name="at"/>.</summary>
    public long IndexAt(DateTimeOffset at) => IsNone ? 0 : FloorDiv(at.ToUnixTimeSeconds(), Seconds);

    /// <summary>When the window containing <paramref name="at"/> ends; null without a window.</summary>
    public DateTimeOffset? EndsAt(DateTimeOffset at) => IsNone
        ? null
        : DateTimeOffset.FromUnixTimeSeconds((IndexAt(at) + 1) * Seconds);

    /// <summary>
    /// The name of the bucket that spend at <paramref name="at"/> belongs to, e.g. <c>86400s:20415</c>;
    /// it names the length too, so runs that use one key with different windows never share a bucket.
    /// </summary>
    public string BucketAt(DateTimeOffset at) => IsNone
        ? AllTime
        : string.Create(CultureInfo.InvariantCulture, $"{Seconds}s:{IndexAt(at)}");

    public override string ToString() => IsNone
        ? "none"
        : (Seconds % 86_400 == 0 ? $"{Seconds / 86_400}d"
            : Seconds % 3600 == 0 ? $"{Seconds / 3600}h"
            : Seconds % 60 == 0 ? $"{Seconds / 60}m"
            : $"{Seconds}s");

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}
