namespace BudgetRun.Ledgers;

/// <summary>A settle, release or cancellation of one reservation of the store's account.</summary>
/// <param name="Id">The reservation's id.</param>
/// <param name="Kind">Settle, release or cancel.</param>
/// <param name="ActualCents">The real cost of a settle; 0 for a release or cancellation.</param>
/// <param name="Nonce">Makes a retry of this very request a no-op that answers <see cref="SettleOutcome.Settled"/>.</param>
/// <param name="NowMs">When it is made (Unix milliseconds).</param>
/// <param name="Run">The run finishing it: a cancellation that arrives first records the reservation as this run's.</param>
internal sealed record FinishRequest(string Id, FinishKind Kind, long ActualCents, string Nonce, long NowMs, RunIdentity Run);
