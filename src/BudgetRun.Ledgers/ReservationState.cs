namespace BudgetRun.Ledgers;

/// <summary>Where a reservation is in its life. The numbers are stored by the SQLite ledger.</summary>
internal enum ReservationState
{
    /// <summary>Held: counts as reserved.</summary>
    Open = 0,

    /// <summary>Replaced by its real cost.</summary>
    Settled = 1,

    /// <summary>Given back: nothing was spent.</summary>
    Released = 2,

    /// <summary>Not settled within the TTL: counts as spent in full until (if ever) it is settled.</summary>
    Expired = 3,
}
