namespace BudgetRun.Ledgers;

/// <summary>The calendar windows of <see cref="BudgetWindow"/>: they start at local midnight in the account's time zone.</summary>
internal enum CalendarUnit
{
    /// <summary>Not a calendar window (none, or a fixed length).</summary>
    None,

    /// <summary>From 00:00 to the next 00:00: 23 or 25 hours on the days daylight saving time starts or ends.</summary>
    Day,

    /// <summary>From Monday 00:00 (ISO 8601) to the next Monday 00:00.</summary>
    Week,

    /// <summary>From the 1st at 00:00 to the next month's 1st.</summary>
    Month,
}
