namespace BudgetRun.Ledgers;

/// <summary>The fleet kill switch of an account path: engaged when any level's is.</summary>
/// <param name="Engaged">Whether it is.</param>
/// <param name="Reason">Why, when a reason was given.</param>
/// <param name="Since">When it was engaged.</param>
/// <param name="Account">The level whose switch it is (the one nearest the root when several are); null when off.</param>
internal readonly record struct KillSwitchState(bool Engaged, string? Reason, DateTimeOffset? Since, string? Account = null)
{
    public static KillSwitchState Off => default;
}
