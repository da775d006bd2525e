namespace BudgetRun.Ledgers;

/// <summary>
/// A reservation about to be written: what a store needs to make it atomically. The id is made by
/// the client, so a retry of a request whose answer was lost is recognised as a replay.
/// </summary>
internal sealed record ReserveRequest(
    string Id,
    string Bucket,
    long Cents,
    long LimitCents,
    long WindowSeconds,
    long NowMs,
    long ExpiresAtMs,
    RunIdentity Run);
