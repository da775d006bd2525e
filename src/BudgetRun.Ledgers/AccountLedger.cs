using BudgetRun.Engine.Budget;

namespace BudgetRun.Ledgers;

/// <summary>
/// One account in a persistent ledger: an <see cref="ILedgerStore"/> (SQLite, Redis) composed with
/// what every store shares: the account's terms (limit, window, TTL), reservation ids, time, the
/// kill switch as observed (by every operation and by <see cref="KillSwitchMonitor"/> watches), the
/// settles and releases kept through an outage (<see cref="UpdateFinisher"/>), and failing closed:
/// every store fault is counted, reported to <see cref="LedgerOptions.OnFault"/> and thrown as
/// <see cref="LedgerUnavailableException"/>.
/// </summary>
internal sealed class AccountLedger : IAccountLedger
{
    private readonly Lock _gate = new();
    private readonly ILedgerStore _store;
    private readonly StoreGuard _guard;
    private readonly UpdateFinisher _finisher;
    private readonly LedgerOptions _options;
    private readonly TimeProvider _time;
    private readonly List<KillSwitchMonitor> _monitors = [];
    private KillSwitchState _killSwitch;
    private bool _pollFailing;

    /// <summary>Takes over <paramref name="store"/>: disposing the ledger disposes it.</summary>
    public AccountLedger(ILedgerStore store, LedgerAccount account, RunIdentity run, LedgerOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        _store = store;
        _options = options;
        _time = time;
        _guard = new StoreGuard(store, options);
        _finisher = new UpdateFinisher(store, _guard, run, time, now => RunTerms().Window.BucketAt(now), Observe);
        Account = account;
        Run = run;
    }

    public string Name => _store.Name;

    public LedgerAccount Account { get; }

    public RunIdentity Run { get; }

    public long FaultCount => _guard.FaultCount;

    /// <summary>Settles, releases and cancellations that failed and wait for the ledger to answer again.</summary>
    public int UnfinishedCount => _finisher.Count;

    public KillSwitchState KillSwitch
    {
        get
        {
            lock (_gate)
            {
                return _killSwitch;
            }
        }
    }

    public event EventHandler<KillSwitchState>? KillSwitchChanged;

    // ---- the engine's IBudgetLedger -------------------------------------------------------------

    /// <remarks>Null when it does not fit or when the kill switch is engaged (then <see cref="KillSwitchChanged"/> has fired first).</remarks>
    public async ValueTask<Reservation?> TryReserveAsync(long cents, CancellationToken cancellationToken)
    {
        var result = await ReserveAsync(cents, cancellationToken).ConfigureAwait(false);
        return result.Status == ReserveStatus.Reserved ? new Reservation(result.Id!, cents) : null;
    }

    public async ValueTask<bool> FitsAsync(long cents, CancellationToken cancellationToken)
    {
        await _finisher.FinishKeptAsync(cancellationToken).ConfigureAwait(false);
        var (limit, window) = RunTerms();
        var now = _time.GetUtcNow();
        var state = await _guard.RunAsync(LedgerOperation.Fits,
            () => _store.ReadBucketAsync(window.BucketAt(now), now.ToUnixTimeMilliseconds(), cancellationToken))
            .ConfigureAwait(false);
        Observe(state.KillSwitch);
        return !state.KillSwitch.Engaged && state.SpentCents + state.ReservedCents + cents <= limit;
    }

    /// <remarks>
    /// When the ledger cannot be reached the settle is kept (with its nonce) and finished before the
    /// next operation or by <see cref="FinishUnfinishedAsync"/>: a store that lost the reservation (a
    /// Redis without persistence restarted) is then charged the cost as spend, so it is never forgotten.
    /// </remarks>
    public ValueTask SettleAsync(Reservation reservation, long actualCents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        ArgumentOutOfRangeException.ThrowIfNegative(actualCents);
        return _finisher.FinishOrKeepAsync(reservation.Id, FinishKind.Settle, actualCents, cancellationToken);
    }

    /// <remarks>Kept for later like <see cref="SettleAsync"/> when the ledger cannot be reached.</remarks>
    public ValueTask ReleaseAsync(Reservation reservation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        return _finisher.FinishOrKeepAsync(reservation.Id, FinishKind.Release, 0, cancellationToken);
    }

    public async ValueTask<BudgetSnapshot> RecordSpendAsync(long cents, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cents);
        await _finisher.FinishKeptAsync(cancellationToken).ConfigureAwait(false);
        var (limit, window) = RunTerms();
        var now = _time.GetUtcNow();
        var request = new AddSpendRequest(window.BucketAt(now), cents, LedgerIds.New(now), now.ToUnixTimeMilliseconds());
        var state = await _guard.RunAsync(LedgerOperation.RecordSpend, () => _store.AddSpendAsync(request, cancellationToken))
            .ConfigureAwait(false);
        Observe(state.KillSwitch);
        return new BudgetSnapshot(limit, state.SpentCents, state.ReservedCents);
    }

    /// <remarks>A read only (metrics scrapes and <c>/status</c> call it): kept settles wait for the next write.</remarks>
    public async ValueTask<BudgetSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        var status = await StatusAsync(cancellationToken).ConfigureAwait(false);
        return new BudgetSnapshot(status.BudgetCents ?? 0, status.SpentCents, status.ReservedCents);
    }

    /// <summary>
    /// Finishes what failed earlier: settles and releases that could not reach the ledger, and
    /// reservations whose answer was lost (released, so a request that still lands late is refused).
    /// Returns how many are still unfinished because the ledger still cannot be reached.
    /// </summary>
    public async ValueTask<int> FinishUnfinishedAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _finisher.FinishKeptAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (LedgerUnavailableException)
        {
            // Reported to OnFault already; the caller says what it means for the run.
        }
        return UnfinishedCount;
    }

    // ---- account operations ---------------------------------------------------------------------

    public ValueTask<ReserveResult> ReserveAsync(long cents, CancellationToken cancellationToken) =>
        ReserveAsync(cents, null, cancellationToken);

    /// <summary>
    /// A reservation with a given id: a second request with an id the store knows (reserved, finished
    /// or cancelled) is a replay that reserves nothing.
    /// </summary>
    internal async ValueTask<ReserveResult> ReserveAsync(long cents, string? id, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cents);
        await _finisher.FinishKeptAsync(cancellationToken).ConfigureAwait(false);
        var (limit, window) = RunTerms();
        var now = _time.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        var request = new ReserveRequest(id ?? LedgerIds.New(now), window.BucketAt(now), cents, limit, window.Seconds, nowMs,
            nowMs + (long)_options.ReservationTtl.TotalMilliseconds, Run);
        (ReserveStatus Status, BucketState State) reserved;
        try
        {
            reserved = await _guard.RunAsync(LedgerOperation.Reserve, () => _store.ReserveAsync(request, cancellationToken)).ConfigureAwait(false);
        }
        catch (LedgerUnavailableException ex) when (_store.MayHaveLanded(ex.InnerException!))
        {
            // The request may have reached the store with its answer lost (a timeout): the store may
            // still run it. Nobody will use or settle it, so it is cancelled once the store answers.
            _finisher.KeepCancellation(request.Id);
            throw;
        }
        var (status, state) = reserved;
        Observe(state.KillSwitch);
        return new ReserveResult(status, status == ReserveStatus.Reserved ? request.Id : null, cents,
            ToStatus(state, limit, window, now));
    }

    public ValueTask<SettleOutcome> SettleByIdAsync(string id, long actualCents, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(actualCents);
        return _finisher.FinishNowAsync(id, FinishKind.Settle, actualCents, cancellationToken);
    }

    public ValueTask<SettleOutcome> ReleaseByIdAsync(string id, CancellationToken cancellationToken) =>
        _finisher.FinishNowAsync(id, FinishKind.Release, 0, cancellationToken);

    /// <summary>
    /// Cancels a reservation request whose answer was lost: released when the store made it, and
    /// otherwise recorded as released so that the request reserves nothing if it still arrives.
    /// </summary>
    internal ValueTask<SettleOutcome> CancelByIdAsync(string id, CancellationToken cancellationToken) =>
        _finisher.FinishNowAsync(id, FinishKind.Cancel, 0, cancellationToken);

    public async ValueTask<AccountStatus> StatusAsync(CancellationToken cancellationToken)
    {
        var limit = Account.LimitCents;
        var window = Account.Window;
        if (limit is null || window is null)
        {
            var stored = await _guard.RunAsync(LedgerOperation.Status, () => _store.ReadConfigAsync(cancellationToken)).ConfigureAwait(false);
            limit ??= stored.LimitCents;
            window ??= stored.WindowSeconds is { } seconds ? BudgetWindow.FromSeconds(seconds) : BudgetWindow.None;
        }
        var now = _time.GetUtcNow();
        var terms = window.Value;
        var state = await _guard.RunAsync(LedgerOperation.Status,
            () => _store.ReadBucketAsync(terms.BucketAt(now), now.ToUnixTimeMilliseconds(), cancellationToken))
            .ConfigureAwait(false);
        Observe(state.KillSwitch);
        return ToStatus(state, limit, terms, now);
    }

    public async ValueTask<KillSwitchState> ReadKillSwitchAsync(CancellationToken cancellationToken)
    {
        var state = await _guard.RunAsync(LedgerOperation.KillSwitch, () => _store.ReadKillSwitchAsync(cancellationToken)).ConfigureAwait(false);
        Observe(state);
        return state;
    }

    public async ValueTask<bool> KillAsync(string? reason, CancellationToken cancellationToken)
    {
        var reasonText = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim();
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var change = KillSwitchChange.Kill(reasonText, nowMs);
        var changed = await _guard.RunAsync(LedgerOperation.Kill, () => _store.SetKillSwitchAsync(change, cancellationToken))
            .ConfigureAwait(false);
        await ReadKillSwitchAsync(cancellationToken).ConfigureAwait(false);
        return changed;
    }

    public async ValueTask<bool> ResumeAsync(CancellationToken cancellationToken)
    {
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var change = KillSwitchChange.Resume(nowMs);
        var changed = await _guard.RunAsync(LedgerOperation.Resume, () => _store.SetKillSwitchAsync(change, cancellationToken))
            .ConfigureAwait(false);
        await ReadKillSwitchAsync(cancellationToken).ConfigureAwait(false);
        return changed;
    }

    public ValueTask<ReservationInfo?> GetReservationAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return _guard.RunAsync(LedgerOperation.Reservation, () => _store.ReadReservationAsync(id, cancellationToken));
    }

    public async ValueTask<IAsyncDisposable> WatchKillSwitchAsync(CancellationToken cancellationToken)
    {
        var monitor = new KillSwitchMonitor(PollKillSwitchAsync, _time, _options.KillSwitchPollInterval ?? _store.DefaultKillSwitchPollInterval);
        try
        {
            monitor.Attach(await _store.SubscribeKillSwitchAsync(monitor.Poke, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (_store.DescribeFault(ex) is not null)
        {
            // No push channel now: polling alone still reaches every kill within the interval.
        }
        lock (_gate)
        {
            _monitors.Add(monitor);
        }
        monitor.Start();
        return monitor;
    }

    public async ValueTask DisposeAsync()
    {
        KillSwitchMonitor[] monitors;
        lock (_gate)
        {
            monitors = [.. _monitors];
            _monitors.Clear();
        }
        foreach (var monitor in monitors)
        {
            await monitor.DisposeAsync().ConfigureAwait(false);
        }
        await _store.DisposeAsync().ConfigureAwait(false);
        _finisher.Dispose();
    }

    /// <summary>A watch's poll: a run of failures is reported once, so an outage does not flood the log.</summary>
    private async ValueTask PollKillSwitchAsync()
    {
        bool report;
        lock (_gate)
        {
            report = !_pollFailing;
        }
        try
        {
            var state = await _guard.RunAsync(LedgerOperation.KillSwitch, () => _store.ReadKillSwitchAsync(CancellationToken.None), report)
                .ConfigureAwait(false);
            lock (_gate)
            {
                _pollFailing = false;
            }
            Observe(state);
        }
        catch (LedgerUnavailableException)
        {
            lock (_gate)
            {
                _pollFailing = true;
            }
            throw;
        }
    }

    private void Observe(KillSwitchState state)
    {
        bool changed;
        lock (_gate)
        {
            changed = state.Engaged != _killSwitch.Engaged || state.Reason != _killSwitch.Reason;
            _killSwitch = state;
        }
        if (changed)
        {
            KillSwitchChanged?.Invoke(this, state);
        }
    }

    private (long Limit, BudgetWindow Window) RunTerms() => Account is { LimitCents: { } limit, Window: { } window }
        ? (limit, window)
        : throw new InvalidOperationException($"account '{Account.Key}' was opened without a limit and a window: it can only be administered");

    private AccountStatus ToStatus(BucketState state, long? limit, BudgetWindow window, DateTimeOffset now) => new(
        Account.Key,
        limit,
        state.SpentCents,
        state.ReservedCents,
        limit is { } l ? Math.Max(0, l - state.SpentCents - state.ReservedCents) : null,
        window.EndsAt(now),
        state.KillSwitch.Engaged,
        state.KillSwitch.Engaged ? state.KillSwitch.Reason : null);
}
