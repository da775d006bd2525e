namespace BudgetRun.Ledgers;

/// <summary>
/// IANA time zones from the system's tz database (<c>/usr/share/zoneinfo</c>, or <c>TZDIR</c>):
/// budget-run ships no zone data of its own, so an image without tzdata knows UTC only.
/// </summary>
internal static class TimeZones
{
    public const string Utc = "UTC";

    /// <summary>The zone named <paramref name="id"/>; false when the system does not know it.</summary>
    public static bool TryFind(string? id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (string.IsNullOrWhiteSpace(id) || id.Trim().Length != id.Length)
        {
            return false;
        }
        if (string.Equals(id, Utc, StringComparison.OrdinalIgnoreCase))
        {
            return true; // known even without tzdata
        }
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return false;
        }
    }

    /// <summary>The zone named <paramref name="id"/> (null: UTC); a zone the system no longer knows is an error naming it.</summary>
    public static TimeZoneInfo Find(string? id) => id is null
        ? TimeZoneInfo.Utc
        : TryFind(id, out var zone)
            ? zone
            : throw new InvalidDataException($"the account's time zone '{id}' is not known to this system (is tzdata installed?)");

    /// <summary>
    /// The instant local time <paramref name="local"/> begins in <paramref name="zone"/>: inside a
    /// daylight-saving gap (a zone whose clocks skip midnight) the first instant after the gap; when
    /// the clock reads it twice, the first time.
    /// </summary>
    public static DateTimeOffset StartOf(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            // The clocks jumped over it: the gap starts at this wall time under the offset before it.
            var before = zone.GetUtcOffset(local.AddHours(-6));
            return new DateTimeOffset(local - before, TimeSpan.Zero);
        }
        if (zone.IsAmbiguousTime(local))
        {
            var earliest = zone.GetAmbiguousTimeOffsets(local).Max();
            return new DateTimeOffset(local - earliest, TimeSpan.Zero);
        }
        return new DateTimeOffset(local - zone.GetUtcOffset(local), TimeSpan.Zero);
    }
}
