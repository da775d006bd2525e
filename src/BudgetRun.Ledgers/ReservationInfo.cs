namespace BudgetRun.Ledgers;

/// <summary>One reservation as the ledger records it, with the run that made it.</summary>
internal sealed record ReservationInfo(
    string Id,
    string Bucket,
    long Cents,
    ReservationState State,
    long? SettledCents,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    RunIdentity Run);
