namespace BudgetRun.Ledgers;

/// <summary>How a reservation is finished.</summary>
internal enum FinishKind
{
    /// <summary>The real cost replaces the reservation.</summary>
    Settle,

    /// <summary>Nothing was spent: the reservation is given back.</summary>
    Release,

    /// <summary>
    /// A reservation request whose answer was lost: released when the store made it, and otherwise
    /// recorded as released, so that the request reserves nothing if it still arrives.
    /// </summary>
    Cancel,
}
