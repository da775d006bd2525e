namespace BudgetRun.Ledgers;

/// <summary>The answer to a reservation request, with the account as it is after it.</summary>
/// <param name="Status">Reserved, does not fit, or refused by the kill switch.</param>
/// <param name="Id">The reservation's id when reserved, for settling it.</param>
/// <param name="Cents">The cents asked for.</param>
/// <param name="Account">The account after the request (remaining cents, kill reason), with its levels.</param>
/// <param name="DecidedBy">The level that refused it (the tightest one that did not fit) or whose kill switch is engaged; null when reserved.</param>
internal sealed record ReserveResult(ReserveStatus Status, string? Id, long Cents, AccountStatus Account, string? DecidedBy = null);
