using BudgetRun.Ledgers;

namespace BudgetRun.Cli.Subcommands;

/// <summary>
/// <c>history --json</c>: the entries, their totals, and the account as it is now. Over a range that
/// covers the current window, the entries' deltas of that window add up to the account's spent and reserved.
/// </summary>
internal sealed record HistoryDocument(
    string BudgetKey,
    DateTimeOffset Since,
    DateTimeOffset Until,
    IReadOnlyList<HistoryEntry> Entries,
    long TotalSpentCents,
    long TotalReservedCents,
    AccountStatus Account);
