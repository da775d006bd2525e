namespace BudgetRun.Ledgers;

/// <summary>One account of a ledger as <c>budget list</c> shows it: its key, its stored terms and whether it is killed.</summary>
internal sealed record AccountEntry(string Key, AccountConfig Config, bool Killed);
