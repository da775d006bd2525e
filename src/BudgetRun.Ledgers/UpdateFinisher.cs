using BudgetRun.Engine.Budget;

namespace BudgetRun.Ledgers;

/// <summary>
/// Settles, releases and cancels an account's reservations in its store, and keeps the ones that
/// could not reach it (with their nonce) to finish them, oldest first, before the ledger's next
/// operation. Separate from <see cref="AccountLedger"/> because this is the part that must never
/// lose a cost: a kept settle whose reservation the store lost is charged as spend, once.
/// </summary>
internal sealed class UpdateFinisher : IDisposable
{
    private readonly SemaphoreSlim _finishing = new(1, 1);
    private readonly PendingUpdates _pending = new();
    private readonly ILedgerStore _store;
    private readonly StoreGuard _guard;
    private readonly RunIdentity _run;
    private readonly TimeProvider _time;
    private readonly Func<DateTimeOffset, IReadOnlyList<LevelBucket>> _currentBuckets;
    private readonly Action<KillSwitchState> _observe;
    private readonly Func<AccountConfig> _accountTerms;

    /// <param name="store">The account's store.</param>
    /// <param name="guard">Counts and reports the store's faults.</param>
    /// <param name="run">The run finishing them.</param>
    /// <param name="time">The clock of nonces and of the window a lost settle is charged to.</param>
    /// <param name="currentBuckets">The path's buckets at a time: where the cost of a settle the store lost goes.</param>
    /// <param name="observe">Hears the kill switch a charge read back.</param>
    /// <param name="accountTerms">The account's terms, to give it again when the store lost it with the reservation.</param>
    public UpdateFinisher(ILedgerStore store, StoreGuard guard, RunIdentity run, TimeProvider time,
        Func<DateTimeOffset, IReadOnlyList<LevelBucket>> currentBuckets, Action<KillSwitchState> observe, Func<AccountConfig> accountTerms)
    {
        _accountTerms = accountTerms;
        _store = store;
        _guard = guard;
        _run = run;
        _time = time;
        _currentBuckets = currentBuckets;
        _observe = observe;
    }

    /// <summary>Settles, releases and cancellations that failed and wait for the store to answer again.</summary>
    public int Count => _pending.Count;

    /// <summary>A settle, release or cancellation by id, with a nonce of its own, not kept when it fails.</summary>
    public ValueTask<SettleOutcome> FinishNowAsync(string id, FinishKind kind, long actualCents, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return FinishAsync(new PendingUpdate(id, kind, actualCents, LedgerIds.New(_time.GetUtcNow())), cancellationToken);
    }

    /// <summary>The engine's settle or release: finished now, or kept (with its nonce) when the store cannot be reached.</summary>
    public async ValueTask FinishOrKeepAsync(string id, FinishKind kind, long actualCents, CancellationToken cancellationToken)
    {
        // A caller's retry reuses the first call's nonce (and charge id): if that landed, this is a no-op.
        var item = _pending.Find(id) ?? new PendingUpdate(id, kind, actualCents, LedgerIds.New(_time.GetUtcNow()));
        try
        {
            await CompleteAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch (LedgerUnavailableException)
        {
            _pending.Keep(item);
            throw;
        }
        _pending.Done(item);
    }

    /// <summary>
    /// Keeps the cancellation of a reservation whose answer was lost: the store may still make it,
    /// and nobody will use or settle it, so it is cancelled once the store answers.
    /// </summary>
    public void KeepCancellation(string id) =>
        _pending.Keep(new PendingUpdate(id, FinishKind.Cancel, 0, LedgerIds.New(_time.GetUtcNow())));

    /// <summary>Finishes the kept items, oldest first; throws (fails closed) while the store still cannot be reached.</summary>
    public async ValueTask FinishKeptAsync(CancellationToken cancellationToken)
    {
        if (Count == 0)
        {
            return;
        }
        await _finishing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (_pending.Oldest() is { } next)
            {
                await CompleteAsync(next, cancellationToken).ConfigureAwait(false);
                _pending.Done(next);
            }
        }
        finally
        {
            _finishing.Release();
        }
    }

    public void Dispose() => _finishing.Dispose();

    /// <summary>One settle, release or cancellation; the nonce makes a retry of it a no-op.</summary>
    private ValueTask<SettleOutcome> FinishAsync(PendingUpdate item, CancellationToken cancellationToken)
    {
        var request = new FinishRequest(item.Id, item.Kind, item.ActualCents, item.Nonce, _time.GetUtcNow().ToUnixTimeMilliseconds(), _run);
        return _guard.RunAsync(item.Operation, () => _store.FinishAsync(request, cancellationToken));
    }

    /// <summary>
    /// Finishes one item. A settle whose reservation the store no longer knows (a Redis without
    /// persistence restarted) was still incurred: it is charged to the current window, once.
    /// </summary>
    private async ValueTask CompleteAsync(PendingUpdate item, CancellationToken cancellationToken)
    {
        if (item.Charge is null)
        {
            var outcome = await FinishAsync(item, cancellationToken).ConfigureAwait(false);
            if (outcome != SettleOutcome.NotFound || item.Kind != FinishKind.Settle || item.ActualCents == 0)
            {
                return;
            }
            var now = _time.GetUtcNow();
            item.Charge = (_currentBuckets(now), LedgerIds.New(now));
        }
        var (levels, operationId) = item.Charge.Value;
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var request = new AddSpendRequest(levels, item.ActualCents, operationId, nowMs, _run);
        var states = await _guard.RunAsync(LedgerOperation.RecordSpend, () => _store.AddSpendAsync(request, cancellationToken))
            .ConfigureAwait(false);
        // A store that lost the reservation may have lost the account's terms with it: the account
        // gets the terms this run knew again (a no-op while it has terms), as a run creates a missing one.
        await _guard.RunAsync(LedgerOperation.Account, () => _store.CreateAccountAsync(_accountTerms(), nowMs, _run, cancellationToken))
            .ConfigureAwait(false);
        _observe(states.Select(state => state.KillSwitch).FirstOrDefault(state => state.Engaged));
    }
}
