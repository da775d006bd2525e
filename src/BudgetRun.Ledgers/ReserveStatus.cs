namespace BudgetRun.Ledgers;

/// <summary>How a reservation request ended.</summary>
internal enum ReserveStatus
{
    /// <summary>Reserved (sidecar: 200).</summary>
    Reserved,

    /// <summary>It does not fit in what remains (sidecar: 402).</summary>
    Insufficient,

    /// <summary>The account's kill switch is engaged (sidecar: 423).</summary>
    Killed,

    /// <summary>A level's terms changed since the client read them: read them again and retry (never an answer to a caller).</summary>
    Stale,

    /// <summary>
    /// The ledger's clock is outside the window a level's bucket was computed for: the client's clock
    /// is off (the answer carries the ledger's); read the time again and retry (never an answer to a caller).
    /// </summary>
    OutsideWindow,
}
