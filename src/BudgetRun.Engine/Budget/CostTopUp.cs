namespace BudgetRun.Engine.Budget;

/// <summary>A reservation a running attempt needs to go on.</summary>
/// <param name="DueAfter">When (elapsed time of the attempt) to reserve it.</param>
/// <param name="Cents">How much to reserve.</param>
/// <param name="PaidUntil">
/// How long the attempt may run on what is reserved without it: when the top-up does not fit, the
/// attempt is stopped so that it ends by then.
/// </param>
internal readonly record struct CostTopUp(TimeSpan DueAfter, long Cents, TimeSpan PaidUntil);
