namespace BudgetRun.Ledgers.Tests.Infrastructure;

/// <summary>
/// A scripted <see cref="ILedgerStore"/> for the composed <see cref="AccountLedger"/>'s own behaviour:
/// it records every request it is sent (also the failing ones), fails any request that
/// <see cref="FailWhen"/> picks with an <see cref="IOException"/> (its only fault), and answers
/// finishes with <see cref="FinishOutcome"/>. The real stores' atomicity is the contract suite's job.
/// </summary>
internal sealed class FakeStore : ILedgerStore
{
    private readonly Lock _gate = new();
    private readonly List<object> _requests = [];
    private long _spent;
    private long _reserved;

    public string Name => "fake:store";

    public TimeSpan DefaultKillSwitchPollInterval => TimeSpan.FromSeconds(1);

    /// <summary>Picks the requests that fail (null: none does).</summary>
    public Func<object, bool>? FailWhen { get; set; }

    /// <summary>Whether a failed request may still have been carried out (a timeout) or surely not (never sent).</summary>
    public bool FailuresMayHaveLanded { get; set; } = true;

    /// <summary>How the store answers a finish it receives.</summary>
    public Func<FinishRequest, SettleOutcome> FinishOutcome { get; set; } = _ => SettleOutcome.Settled;

    /// <summary>Every request sent so far, in order: the request records, or the bucket name of a read.</summary>
    public IReadOnlyList<object> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>The account the fake stands for: its own level holds every cent, the levels above have no terms.</summary>
    public string Key { get; init; } = "team/openai";

    /// <summary>The store's own clock (Unix milliseconds), as Redis and PostgreSQL have one; null: it keeps the client's time, as SQLite.</summary>
    public Func<long>? LedgerClockMs { get; set; }

    public ValueTask<long?> ReadClockAsync(CancellationToken cancellationToken) => ValueTask.FromResult(LedgerClockMs?.Invoke());

    public ValueTask<ReserveAnswer> ReserveAsync(ReserveRequest request, CancellationToken cancellationToken)
    {
        Receive(request);
        if (LedgerClockMs?.Invoke() is { } ledgerNow)
        {
            if (request.Levels.Any(level => !level.Contains(ledgerNow)))
            {
                return ValueTask.FromResult(new ReserveAnswer(ReserveStatus.OutsideWindow, [], -1, ledgerNow));
            }
            _reserved += request.Cents;
            return ValueTask.FromResult(new ReserveAnswer(ReserveStatus.Reserved, States(request.Levels.Count), -1, ledgerNow));
        }
        _reserved += request.Cents;
        return ValueTask.FromResult(new ReserveAnswer(ReserveStatus.Reserved, States(request.Levels.Count), -1));
    }

    public ValueTask<SettleOutcome> FinishAsync(FinishRequest request, CancellationToken cancellationToken)
    {
        Receive(request);
        return ValueTask.FromResult(FinishOutcome(request));
    }

    public ValueTask<IReadOnlyList<BucketState>> AddSpendAsync(AddSpendRequest request, CancellationToken cancellationToken)
    {
        Receive(request);
        _spent += request.Cents;
        return ValueTask.FromResult(States(request.Levels.Count));
    }

    public ValueTask<IReadOnlyList<BucketState>> ReadBucketsAsync(IReadOnlyList<LevelBucket> levels, long nowMs, CancellationToken cancellationToken)
    {
        Receive(levels[^1].Bucket!);
        return ValueTask.FromResult(States(levels.Count));
    }

    public ValueTask<IReadOnlyList<AccountConfig>> ReadTermsAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<AccountConfig>>(new AccountConfig[AccountPath.Levels(Key).Count]);

    /// <summary>The fake keeps no terms: the composed ledger then uses the run's own (as one composed without opening the account).</summary>
    public ValueTask<bool> CreateAccountAsync(AccountConfig terms, long nowMs, RunIdentity actor, CancellationToken cancellationToken) => ValueTask.FromResult(false);

    public ValueTask<AccountConfig> SetTermsAsync(AccountConfig terms, long nowMs, RunIdentity actor, CancellationToken cancellationToken) =>
        ValueTask.FromResult(default(AccountConfig));

    public ValueTask<IReadOnlyList<AccountEntry>> ListAccountsAsync(string prefix, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<AccountEntry>>([]);

    public ValueTask<KillSwitchState> ReadKillSwitchAsync(CancellationToken cancellationToken) => ValueTask.FromResult(KillSwitchState.Off);

    public ValueTask<bool> SetKillSwitchAsync(KillSwitchChange change, CancellationToken cancellationToken) => ValueTask.FromResult(false);

    public ValueTask<ReservationInfo?> ReadReservationAsync(string id, CancellationToken cancellationToken) =>
        ValueTask.FromResult<ReservationInfo?>(null);

    public ValueTask<IReadOnlyList<HistoryEntry>> ReadHistoryAsync(long sinceMs, long untilMs, string? after, int limit, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<HistoryEntry>>([]);

    public ValueTask<IAsyncDisposable?> SubscribeKillSwitchAsync(Action poke, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IAsyncDisposable?>(null);

    public bool MayHaveLanded(Exception error) => FailuresMayHaveLanded;

    public string? DescribeFault(Exception error) => error is IOException ? "the fake store is down" : null;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void Receive(object request)
    {
        lock (_gate)
        {
            _requests.Add(request);
        }
        if (FailWhen?.Invoke(request) == true)
        {
            throw new IOException("down");
        }
    }

    private IReadOnlyList<BucketState> States(int levels)
    {
        var states = new BucketState[levels];
        states[^1] = new BucketState(_spent, _reserved, KillSwitchState.Off);
        return states;
    }
}
