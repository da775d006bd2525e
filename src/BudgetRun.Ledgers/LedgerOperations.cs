using System.Diagnostics;

namespace BudgetRun.Ledgers;

/// <summary>The one mapping from a <see cref="LedgerOperation"/> to the word logs and messages show.</summary>
internal static class LedgerOperations
{
    /// <summary>The operation as logs say it (<c>ledger error during record-spend</c>); tests assert these words.</summary>
    public static string DisplayName(this LedgerOperation operation) => operation switch
    {
        LedgerOperation.Open => "open",
        LedgerOperation.Fits => "fits",
        LedgerOperation.Reserve => "reserve",
        LedgerOperation.Settle => "settle",
        LedgerOperation.Release => "release",
        LedgerOperation.Cancel => "cancel",
        LedgerOperation.RecordSpend => "record-spend",
        LedgerOperation.Status => "status",
        LedgerOperation.KillSwitch => "kill-switch",
        LedgerOperation.Kill => "kill",
        LedgerOperation.Resume => "resume",
        LedgerOperation.Reservation => "reservation",
        LedgerOperation.Account => "account",
        LedgerOperation.SetTerms => "set-terms",
        LedgerOperation.List => "list",
        LedgerOperation.History => "history",
        _ => throw new UnreachableException($"ledger operation {(int)operation} has no name"),
    };
}
