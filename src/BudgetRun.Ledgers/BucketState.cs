namespace BudgetRun.Ledgers;

/// <summary>The numbers of one window of an account and its kill switch, as a ledger read them.</summary>
internal readonly record struct BucketState(long SpentCents, long ReservedCents, KillSwitchState KillSwitch);
