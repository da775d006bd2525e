namespace BudgetRun.ControlPlane.Tests.Fakes;

/// <summary>How a fake ledger answers at the moment (see LedgerSwitch); public because theories take it.</summary>
public enum LedgerMode
{
    /// <summary>Answers at once.</summary>
    Up,

    /// <summary>Throws what a ledger throws in an outage: Redis stopped, the connection refused.</summary>
    Down,

    /// <summary>Answers, but only after <see cref="LedgerSwitch.Delay"/>.</summary>
    Slow,

    /// <summary>Waits <see cref="LedgerSwitch.Delay"/>, then fails as a real ledger does past <c>--ledger-timeout</c>.</summary>
    TimingOut,

    /// <summary>Throws an exception no ledger should: a bug.</summary>
    Broken,
}
