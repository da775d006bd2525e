using BudgetRun.Engine.Budget;

namespace BudgetRun.Ledgers;

/// <summary>
/// What every persistent ledger shares: the account's terms (limit, window, TTL), reservation ids,
/// the kill switch as observed, and failing closed. A storage (<see cref="Sqlite.SqliteLedger"/>,
/// <see cref="Redis.RedisLedger"/>) implements the <c>*CoreAsync</c> operations, each of them one
/// atomic step in its store, and names its faults in <see cref="DescribeFault"/>.
/// </summary>
internal abstract class AccountLedger : IAccountLedger
{
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _finishing = new(1, 1);
    private readonly PendingUpdates _pending = new();
    private readonly List<KillSwitchMonitor> _monitors = [];
    private KillSwitchState _killSwitch;
    private long _faults;
    private bool _pollFailing;

    protected AccountLedger(string name, LedgerAccount account, RunIdentity run, LedgerOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Name = name;
        Account = account;
        Run = run;
        Options = options;
        Time = time;
    }

    public string Name { get; }

    public LedgerAccount Account { get; }

    public RunIdentity Run { get; }

    public long FaultCount => Interlocked.Read(ref _faults);

    /// <summary>Settles, releases and cancellations that failed and wait for the ledger to answer again.</summary>
    public int UnfinishedCount => _pending.Count;

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

    protected LedgerOptions Options { get; }

    protected TimeProvider Time { get; }

    /// <summary>How often a watch polls when <see cref="LedgerOptions.KillSwitchPollInterval"/> is not set.</summary>
    protected virtual TimeSpan DefaultKillSwitchPollInterval => TimeSpan.FromMilliseconds(250);

    // ---- the engine's IBudgetLedger -------------------------------------------------------------

    /// <remarks>Null when it does not fit or when the kill switch is engaged (then <see cref="KillSwitchChanged"/> has fired first).</remarks>
    public async ValueTask<Reservation?> TryReserveAsync(long cents, CancellationToken cancellationToken)
    {
        var result = await ReserveAsync(cents, cancellationToken).ConfigureAwait(false);
        return result.Status == ReserveStatus.Reserved ? new Reservation(result.Id!, cents) : null;
    }

    public async ValueTask<bool> FitsAsync(long cents, CancellationToken cancellationToken)
    {
        await FinishEarlierAsync(cancellationToken).ConfigureAwait(false);
        var (limit, window) = RunTerms();
        var now = Time.GetUtcNow();
        var state = await GuardAsync(LedgerOperation.Fits, () => ReadCoreAsync(window.BucketAt(now), now.ToUnixTimeMilliseconds(), cancellationToken))
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
        return FinishOrKeepAsync(reservation.Id, actualCents, release: false, cancellationToken);
    }

    /// <remarks>Kept for later like <see cref="SettleAsync"/> when the ledger cannot be reached.</remarks>
    public ValueTask ReleaseAsync(Reservation reservation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        return FinishOrKeepAsync(reservation.Id, 0, release: true, cancellationToken);
    }

    public async ValueTask<BudgetSnapshot> RecordSpendAsync(long cents, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cents);
        await FinishEarlierAsync(cancellationToken).ConfigureAwait(false);
        var (limit, window) = RunTerms();
        var now = Time.GetUtcNow();
        var operationId = NewId(now);
        var state = await GuardAsync(LedgerOperation.RecordSpend,
            () => AddSpendCoreAsync(window.BucketAt(now), cents, operationId, now.ToUnixTimeMilliseconds(), cancellationToken))
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
            await FinishEarlierAsync(cancellationToken).ConfigureAwait(false);
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
        await FinishEarlierAsync(cancellationToken).ConfigureAwait(false);
        var (limit, window) = RunTerms();
        var now = Time.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        var request = new NewReservation(id ?? NewId(now), window.BucketAt(now), cents, limit, window.Seconds, nowMs,
            nowMs + (long)Options.ReservationTtl.TotalMilliseconds, Run);
        (ReserveStatus Status, BucketState State) reserved;
        try
        {
            reserved = await GuardAsync(LedgerOperation.Reserve, () => ReserveCoreAsync(request, cancellationToken)).ConfigureAwait(false);
        }
        catch (LedgerUnavailableException ex) when (MayHaveLanded(ex.InnerException!))
        {
            // The request may have reached the store with its answer lost (a timeout): the store may
            // still run it. Nobody will use or settle it, so it is cancelled once the store answers.
            _pending.Keep(new PendingUpdate(request.Id, 0, release: true, cancel: true, NewId(now)));
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
        return FinishNowAsync(id, actualCents, release: false, cancel: false, cancellationToken);
    }

    public ValueTask<SettleOutcome> ReleaseByIdAsync(string id, CancellationToken cancellationToken) =>
        FinishNowAsync(id, 0, release: true, cancel: false, cancellationToken);

    /// <summary>
    /// Cancels a reservation request whose answer was lost: released when the store made it, and
    /// otherwise recorded as released so that the request reserves nothing if it still arrives.
    /// </summary>
    internal ValueTask<SettleOutcome> CancelByIdAsync(string id, CancellationToken cancellationToken) =>
        FinishNowAsync(id, 0, release: true, cancel: true, cancellationToken);

    public async ValueTask<AccountStatus> StatusAsync(CancellationToken cancellationToken)
    {
        var limit = Account.LimitCents;
        var window = Account.Window;
        if (limit is null || window is null)
        {
            var stored = await GuardAsync(LedgerOperation.Status, () => ReadConfigCoreAsync(cancellationToken)).ConfigureAwait(false);
            limit ??= stored.LimitCents;
            window ??= stored.WindowSeconds is { } seconds ? BudgetWindow.FromSeconds(seconds) : BudgetWindow.None;
        }
        var now = Time.GetUtcNow();
        var terms = window.Value;
        var state = await GuardAsync(LedgerOperation.Status, () => ReadCoreAsync(terms.BucketAt(now), now.ToUnixTimeMilliseconds(), cancellationToken))
            .ConfigureAwait(false);
        Observe(state.KillSwitch);
        return ToStatus(state, limit, terms, now);
    }

    public async ValueTask<KillSwitchState> ReadKillSwitchAsync(CancellationToken cancellationToken)
    {
        var state = await GuardAsync(LedgerOperation.KillSwitch, () => ReadKillSwitchCoreAsync(cancellationToken)).ConfigureAwait(false);
        Observe(state);
        return state;
    }

    public async ValueTask<bool> KillAsync(string? reason, CancellationToken cancellationToken)
    {
        var reasonText = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim();
        var nowMs = Time.GetUtcNow().ToUnixTimeMilliseconds();
        var changed = await GuardAsync(LedgerOperation.Kill, () => SetKillSwitchCoreAsync(true, reasonText, nowMs, cancellationToken))
            .ConfigureAwait(false);
        await ReadKillSwitchAsync(cancellationToken).ConfigureAwait(false);
        return changed;
    }

    public async ValueTask<bool> ResumeAsync(CancellationToken cancellationToken)
    {
        var nowMs = Time.GetUtcNow().ToUnixTimeMilliseconds();
        var changed = await GuardAsync(LedgerOperation.Resume, () => SetKillSwitchCoreAsync(false, null, nowMs, cancellationToken))
            .ConfigureAwait(false);
        await ReadKillSwitchAsync(cancellationToken).ConfigureAwait(false);
        return changed;
    }

    public ValueTask<ReservationInfo?> GetReservationAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return GuardAsync(LedgerOperation.Reservation, () => ReadReservationCoreAsync(id, cancellationToken));
    }

    public async ValueTask<IAsyncDisposable> WatchKillSwitchAsync(CancellationToken cancellationToken)
    {
        var monitor = new KillSwitchMonitor(PollKillSwitchAsync, Time, Options.KillSwitchPollInterval ?? DefaultKillSwitchPollInterval);
        try
        {
            monitor.Attach(await SubscribeKillSwitchAsync(monitor.Poke, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (DescribeFault(ex) is not null)
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
        await DisposeCoreAsync().ConfigureAwait(false);
        _finishing.Dispose();
        GC.SuppressFinalize(this);
    }

    // ---- what a storage implements --------------------------------------------------------------

    /// <summary>Atomically: refuse when killed; replay an existing id; expire overdue reservations; reserve when it fits.</summary>
    protected abstract ValueTask<(ReserveStatus Status, BucketState State)> ReserveCoreAsync(NewReservation request, CancellationToken cancellationToken);

    /// <summary>
    /// Atomically settles (or releases) a reservation of this account; a retry with the same nonce is
    /// <see cref="SettleOutcome.Settled"/>. With <paramref name="cancel"/> an unknown id is recorded
    /// as released (still <see cref="SettleOutcome.NotFound"/>), so a reservation request with that id
    /// that reaches the store later is a replay and reserves nothing.
    /// </summary>
    protected abstract ValueTask<SettleOutcome> FinishCoreAsync(string id, long actualCents, bool release, bool cancel, string nonce, long nowMs,
        CancellationToken cancellationToken);

    /// <summary>Adds spend to a bucket, once per <paramref name="operationId"/>.</summary>
    protected abstract ValueTask<BucketState> AddSpendCoreAsync(string bucket, long cents, string operationId, long nowMs, CancellationToken cancellationToken);

    /// <summary>Reads a bucket, with reservations overdue at <paramref name="nowMs"/> counted as spent.</summary>
    protected abstract ValueTask<BucketState> ReadCoreAsync(string bucket, long nowMs, CancellationToken cancellationToken);

    protected abstract ValueTask<AccountConfig> ReadConfigCoreAsync(CancellationToken cancellationToken);

    protected abstract ValueTask<KillSwitchState> ReadKillSwitchCoreAsync(CancellationToken cancellationToken);

    /// <summary>Sets the kill switch; true when that changed it.</summary>
    protected abstract ValueTask<bool> SetKillSwitchCoreAsync(bool engaged, string? reason, long nowMs, CancellationToken cancellationToken);

    protected abstract ValueTask<ReservationInfo?> ReadReservationCoreAsync(string id, CancellationToken cancellationToken);

    /// <summary>A push channel that calls <paramref name="poke"/> on a kill or resume; null when the storage has none.</summary>
    protected virtual ValueTask<IAsyncDisposable?> SubscribeKillSwitchAsync(Action poke, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IAsyncDisposable?>(null);

    /// <summary>Whether a request that failed with <paramref name="error"/> may still have been (or still be) carried out by the store.</summary>
    protected virtual bool MayHaveLanded(Exception error) => true;

    /// <summary>One line (no password) saying why <paramref name="error"/> makes the ledger unavailable; null when it is not a ledger fault.</summary>
    protected abstract string? DescribeFault(Exception error);

    protected abstract ValueTask DisposeCoreAsync();

    /// <summary>Runs one storage step; a ledger fault is counted, reported and thrown as <see cref="LedgerUnavailableException"/>.</summary>
    protected async ValueTask<T> GuardAsync<T>(LedgerOperation operation, Func<ValueTask<T>> step, bool report = true)
    {
        try
        {
            return await step().ConfigureAwait(false);
        }
        catch (Exception ex) when (DescribeFault(ex) is { } reason)
        {
            Interlocked.Increment(ref _faults);
            throw Unavailable(Name, operation, reason, ex, report ? Options : null);
        }
    }

    /// <summary>The one-line exception of a failed operation, reported to <see cref="LedgerOptions.OnFault"/> when options are given.</summary>
    protected static LedgerUnavailableException Unavailable(string ledger, LedgerOperation operation, string reason, Exception error, LedgerOptions? report)
    {
        var message = $"ledger {ledger} is unavailable: {reason}";
        report?.OnFault?.Invoke(new LedgerFault(ledger, operation, message, error));
        return new LedgerUnavailableException(message, error);
    }

    // ---- helpers --------------------------------------------------------------------------------

    /// <summary>One settle, release or cancellation; the nonce makes a retry of it a no-op.</summary>
    private async ValueTask<SettleOutcome> FinishAsync(PendingUpdate item, CancellationToken cancellationToken)
    {
        var nowMs = Time.GetUtcNow().ToUnixTimeMilliseconds();
        return await GuardAsync(item.Operation,
            () => FinishCoreAsync(item.Id, item.ActualCents, item.Release, item.Cancel, item.Nonce, nowMs, cancellationToken))
            .ConfigureAwait(false);
    }

    /// <summary>A settle, release or cancellation by id, with a nonce of its own, not kept when it fails.</summary>
    private ValueTask<SettleOutcome> FinishNowAsync(string id, long actualCents, bool release, bool cancel, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return FinishAsync(new PendingUpdate(id, actualCents, release, cancel, NewId(Time.GetUtcNow())), cancellationToken);
    }

    /// <summary>The engine's settle or release: finished now, or kept (with its nonce) when the ledger cannot be reached.</summary>
    private async ValueTask FinishOrKeepAsync(string id, long actualCents, bool release, CancellationToken cancellationToken)
    {
        // A caller's retry reuses the first call's nonce (and charge id): if that landed, this is a no-op.
        var item = _pending.Find(id) ?? new PendingUpdate(id, actualCents, release, cancel: false, NewId(Time.GetUtcNow()));
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
    /// Finishes one item. A settle whose reservation the store no longer knows (a Redis without
    /// persistence restarted) was still incurred: it is charged to the current window, once.
    /// </summary>
    private async ValueTask CompleteAsync(PendingUpdate item, CancellationToken cancellationToken)
    {
        if (item.Charge is null)
        {
            var outcome = await FinishAsync(item, cancellationToken).ConfigureAwait(false);
            if (outcome != SettleOutcome.NotFound || item.Release || item.ActualCents == 0)
            {
                return;
            }
            var now = Time.GetUtcNow();
            item.Charge = (RunTerms().Window.BucketAt(now), NewId(now));
        }
        var (bucket, operationId) = item.Charge.Value;
        var nowMs = Time.GetUtcNow().ToUnixTimeMilliseconds();
        var state = await GuardAsync(LedgerOperation.RecordSpend,
            () => AddSpendCoreAsync(bucket, item.ActualCents, operationId, nowMs, cancellationToken)).ConfigureAwait(false);
        Observe(state.KillSwitch);
    }

    /// <summary>Finishes the kept items, oldest first; throws (fails closed) while the ledger still cannot be reached.</summary>
    private async ValueTask FinishEarlierAsync(CancellationToken cancellationToken)
    {
        if (UnfinishedCount == 0)
        {
            return;
        }
        await _finishing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                var next = _pending.Oldest();
                if (next is null)
                {
                    return;
                }
                await CompleteAsync(next, cancellationToken).ConfigureAwait(false);
                _pending.Done(next);
            }
        }
        finally
        {
            _finishing.Release();
        }
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
            var state = await GuardAsync(LedgerOperation.KillSwitch, () => ReadKillSwitchCoreAsync(CancellationToken.None), report)
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

    private static string NewId(DateTimeOffset now) => Guid.CreateVersion7(now).ToString("N");
}
