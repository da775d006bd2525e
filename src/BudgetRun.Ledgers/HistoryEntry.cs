namespace BudgetRun.Ledgers;

/// <summary>
/// One entry of an account's history, written in the same atomic step as the change it records. The
/// sum of <see cref="SpentDeltaCents"/> over a bucket is the bucket's spent, and of <see cref="ReservedDeltaCents"/>
/// its reserved, so the history's totals equal the account's.
/// </summary>
/// <param name="Cursor">Where the entry is in the history: entries after it are newer (a follow resumes from it).</param>
/// <param name="At">When, by the ledger's clock (Redis: the server's; SQLite: the writer's machine).</param>
/// <param name="BudgetKey">The account (a level of a hierarchical key has entries of its own).</param>
/// <param name="Kind">What happened.</param>
/// <param name="Bucket">The window it was charged to; null for a kill, resume or terms change.</param>
/// <param name="SpentDeltaCents">The change of spent, in cents.</param>
/// <param name="ReservedDeltaCents">The change of reserved, in cents.</param>
/// <param name="ReservationId">The reservation, for reserve, settle, release and expire.</param>
/// <param name="Origin">The account whose run made the change, when it is not this one (a job below a level).</param>
/// <param name="RunId">The run that made the change (for an expiry: the run that made the reservation).</param>
/// <param name="Host">Its host.</param>
/// <param name="Pid">Its process id.</param>
/// <param name="User">The user it ran as, when known.</param>
/// <param name="Detail">A kill's reason, the new terms.</param>
internal sealed record HistoryEntry(
    string Cursor,
    DateTimeOffset At,
    string BudgetKey,
    HistoryKind Kind,
    string? Bucket,
    long SpentDeltaCents,
    long ReservedDeltaCents,
    string? ReservationId,
    string? Origin,
    string? RunId,
    string? Host,
    int? Pid,
    string? User,
    string? Detail);
