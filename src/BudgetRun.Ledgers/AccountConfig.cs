namespace BudgetRun.Ledgers;

/// <summary>The limit and window an account was last used with (stored by every reservation).</summary>
internal readonly record struct AccountConfig(long? LimitCents, long? WindowSeconds);
