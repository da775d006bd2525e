namespace BudgetRun.Ledgers;

/// <summary>
/// An account's terms as a store keeps them: the limit, a fixed window's seconds (0: none), a
/// calendar unit (<c>day</c>, <c>week</c>, <c>month</c>) and its time zone. The layout of the
/// previous release (limit and window seconds only) reads as a fixed window; an account the kill
/// switch created without terms has no limit.
/// </summary>
/// <param name="LimitCents">The limit per window; null without terms.</param>
/// <param name="WindowSeconds">A fixed window's length (0: none).</param>
/// <param name="Calendar">A calendar window's unit, or null.</param>
/// <param name="TimeZone">A calendar window's IANA zone, or null (UTC).</param>
/// <param name="Version">Counts the changes of the terms (0: none yet, or the previous release's layout); a request carries the version it read.</param>
internal readonly record struct AccountConfig(long? LimitCents, long? WindowSeconds, string? Calendar = null, string? TimeZone = null, long Version = 0)
{
    /// <summary>Whether the account has terms: a run or <c>budget set</c> made it (a bare kill does not).</summary>
    public bool HasTerms => LimitCents is not null;

    public static AccountConfig From(AccountTerms terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        var window = terms.Window;
        return window.Calendar == CalendarUnit.None
            ? new AccountConfig(terms.LimitCents, window.Seconds)
            : new AccountConfig(terms.LimitCents, 0, window.ToString(), window.TimeZoneId);
    }

    /// <summary>The terms; null without a limit.</summary>
    /// <exception cref="InvalidDataException">A stored calendar unit or time zone this system does not know.</exception>
    public AccountTerms? ToTerms()
    {
        if (LimitCents is not { } limit)
        {
            return null;
        }
        if (string.IsNullOrEmpty(Calendar))
        {
            return new AccountTerms(limit, BudgetWindow.FromSeconds(WindowSeconds ?? 0));
        }
        var unit = BudgetWindow.CalendarUnitOf(Calendar)
            ?? throw new InvalidDataException($"the account's window '{Calendar}' is not known to this budget-run");
        return new AccountTerms(limit, BudgetWindow.FromCalendar(unit, string.IsNullOrEmpty(TimeZone) ? null : TimeZone));
    }

    /// <summary>The terms in the words of the history and the logs: <c>limit 500 cents per window day in Europe/Berlin</c>.</summary>
    public string Describe()
    {
        var window = string.IsNullOrEmpty(Calendar)
            ? WindowSeconds is > 0 ? BudgetWindow.FromSeconds(WindowSeconds.Value).ToString() : "none"
            : string.IsNullOrEmpty(TimeZone) ? Calendar : $"{Calendar} in {TimeZone}";
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"limit {LimitCents ?? 0} cents per window {window}");
    }
}
