using BudgetRun.Engine.Budget;

namespace BudgetRun.Ledgers;

/// <summary>
/// One budget account in a persistent ledger, for one run (or sidecar): the engine's
/// <see cref="IBudgetLedger"/> plus what the sidecar and the <c>status</c>, <c>kill</c> and
/// <c>resume</c> subcommands need. Every method throws <see cref="LedgerUnavailableException"/>
/// (one line naming the ledger) when the ledger cannot be reached or written: callers fail closed.
/// </summary>
internal interface IAccountLedger : IBudgetLedger, IAsyncDisposable
{
    /// <summary>The ledger as a user names it (<c>sqlite:/path</c>, <c>redis://host:port/db</c>), without any password.</summary>
    string Name { get; }

    LedgerAccount Account { get; }

    /// <summary>Failed operations so far (each was also reported to <see cref="LedgerOptions.OnFault"/>).</summary>
    long FaultCount { get; }

    /// <summary>The kill switch as last observed by any operation or watch.</summary>
    KillSwitchState KillSwitch { get; }

    /// <summary>
    /// Raised (on the observing thread) whenever an operation or the watch observes a different kill
    /// switch state than the last one, e.g. a reservation refused by it or a poll after <c>budget-run kill</c>.
    /// </summary>
    event EventHandler<KillSwitchState>? KillSwitchChanged;

    /// <summary>Reserves <paramref name="cents"/> in the current window, atomically across processes and machines.</summary>
    ValueTask<ReserveResult> ReserveAsync(long cents, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces reservation <paramref name="id"/> with its real cost (lower or higher: higher is recorded,
    /// never refused), in the window it was made in. An expired reservation is corrected to the real cost.
    /// </summary>
    ValueTask<SettleOutcome> SettleByIdAsync(string id, long actualCents, CancellationToken cancellationToken);

    /// <summary>Gives reservation <paramref name="id"/> back: nothing was spent.</summary>
    ValueTask<SettleOutcome> ReleaseByIdAsync(string id, CancellationToken cancellationToken);

    /// <summary>The account's current window; the limit and window are the stored ones when the account leaves them out.</summary>
    ValueTask<AccountStatus> StatusAsync(CancellationToken cancellationToken);

    ValueTask<KillSwitchState> ReadKillSwitchAsync(CancellationToken cancellationToken);

    /// <summary>Engages the fleet kill switch (idempotent; a new reason replaces the old). True when it was off.</summary>
    ValueTask<bool> KillAsync(string? reason, CancellationToken cancellationToken);

    /// <summary>Releases the fleet kill switch (idempotent). True when it was on.</summary>
    ValueTask<bool> ResumeAsync(CancellationToken cancellationToken);

    /// <summary>One reservation of this account with the run that made it; null when unknown.</summary>
    ValueTask<ReservationInfo?> GetReservationAsync(string id, CancellationToken cancellationToken);

    /// <summary>
    /// Starts watching the kill switch (polling, and Redis pub/sub where available) so that
    /// <see cref="KillSwitchChanged"/> fires within a second of a <c>kill</c> or <c>resume</c> anywhere.
    /// A failed poll never reports the switch engaged. Dispose the result to stop.
    /// </summary>
    ValueTask<IAsyncDisposable> WatchKillSwitchAsync(CancellationToken cancellationToken);
}
