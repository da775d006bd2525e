namespace BudgetRun.Ledgers;

/// <summary>The fleet kill switch of one account.</summary>
internal readonly record struct KillSwitchState(bool Engaged, string? Reason, DateTimeOffset? Since)
{
    public static KillSwitchState Off => default;
}
