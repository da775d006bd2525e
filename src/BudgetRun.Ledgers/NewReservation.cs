namespace BudgetRun.Ledgers;

/// <summary>A reservation about to be written: what a ledger needs to make it atomically.</summary>
internal sealed record NewReservation(
    string Id,
    string Bucket,
    long Cents,
    long LimitCents,
    long WindowSeconds,
    long NowMs,
    long ExpiresAtMs,
    RunIdentity Run);
