namespace BudgetRun.Ledgers;

/// <summary>
/// The ids a ledger makes itself (reservations, settle nonces, spend operation ids): made before the
/// request is sent, so a retry after a lost answer carries the same id and the store sees a replay.
/// </summary>
internal static class LedgerIds
{
    /// <summary>A version-7 GUID (time-ordered, so ids of one run sort by when they were made).</summary>
    public static string New(DateTimeOffset now) => Guid.CreateVersion7(now).ToString("N");
}
