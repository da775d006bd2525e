namespace BudgetRun.Cli.Subcommands;

/// <summary>
/// <c>budget show --json</c>: the account's terms (<c>window</c>: <c>day</c>, <c>week</c>, <c>month</c>,
/// <c>1h</c>..., or <c>none</c>; <c>timeZone</c>: null for all but calendar windows) and its current
/// window, in the vocabulary of <c>status --json</c>.
/// </summary>
internal sealed record BudgetView(
    string BudgetKey,
    long BudgetCents,
    string Window,
    string? TimeZone,
    long SpentCents,
    long ReservedCents,
    long RemainingCents,
    DateTimeOffset? WindowEndsAt,
    bool KillSwitch,
    string? KillReason);
