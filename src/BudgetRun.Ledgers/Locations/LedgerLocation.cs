namespace BudgetRun.Ledgers.Locations;

/// <summary>Where a ledger lives, parsed from <c>--ledger</c> (<see cref="LedgerUriParser"/>).</summary>
internal abstract class LedgerLocation
{
    /// <summary>The location as shown to a user: in messages, logs and <c>status</c>. Never holds a password.</summary>
    public abstract string DisplayName { get; }

    public override string ToString() => DisplayName;
}
