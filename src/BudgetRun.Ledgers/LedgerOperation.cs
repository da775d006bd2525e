namespace BudgetRun.Ledgers;

/// <summary>
/// What a ledger was doing when it failed (<see cref="LedgerFault.Operation"/>). Logs and messages
/// show <see cref="LedgerOperations.DisplayName"/>, never the member name: those words are a contract.
/// </summary>
internal enum LedgerOperation
{
    /// <summary>Opening the store and checking it answers.</summary>
    Open,

    /// <summary>The engine asking whether an attempt's cost still fits.</summary>
    Fits,

    Reserve,

    Settle,

    Release,

    /// <summary>Releasing a reservation whose answer was lost (or recording it released before it lands).</summary>
    Cancel,

    /// <summary>Spend added without a reservation, including a settle whose reservation the store lost.</summary>
    RecordSpend,

    Status,

    /// <summary>Reading the kill switch, by a caller or a watch's poll.</summary>
    KillSwitch,

    Kill,

    Resume,

    /// <summary>Reading one reservation by id.</summary>
    Reservation,

    /// <summary>Reading the account's stored terms, or creating a missing account with a run's terms.</summary>
    Account,

    /// <summary>Replacing the account's terms (<c>budget set</c>).</summary>
    SetTerms,

    /// <summary>Listing the ledger's accounts (<c>budget list</c>).</summary>
    List,

    /// <summary>Reading the account's history (<c>budget-run history</c>).</summary>
    History,
}
