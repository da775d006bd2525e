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
    private readonly LedgerClock _time;
    private readonly List<KillSwitchMonitor> _monitors = [];
    private KillSwitchState _killSwitch;
    private bool _pollFailing;
    private AccountTerms? _terms;
    private AccountConfig[] _levelConfigs;
    private readonly IReadOnlyList<string> _path;

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
        _time = new LedgerClock(time);
        _guard = new StoreGuard(store, options);
        _path = AccountPath.Levels(account.Key);
        _levelConfigs = new AccountConfig[_path.Count];
        _finisher = new UpdateFinisher(store, _guard, run, _time, LevelBuckets, Observe,
            () =>
            {
                var (limit, window) = RunTerms();
                return AccountConfig.From(new AccountTerms(limit, window));
            });
        Account = account;
        Run = run;
    }

    public string Name => _store.Name;

    public LedgerAccount Account { get; }

    public RunIdentity Run { get; }

    /// <summary>
    /// The account's terms as last read from the store (at open, by <see cref="StatusAsync"/>, by
    /// <see cref="SetTermsAsync"/>); null for an account that has none, or before the first read.
    /// </summary>
    public AccountTerms? Terms
    {
        get
        {
            lock (_gate)
            {
                return _terms;
            }
        }
    }

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
        var now = _time.GetUtcNow();
        var levels = LevelBuckets(now);
        var states = await _guard.RunAsync(LedgerOperation.Fits,
            () => _store.ReadBucketsAsync(levels, now.ToUnixTimeMilliseconds(), cancellationToken))
            .ConfigureAwait(false);
        Observe(PathKillSwitch(states));
        return !PathKillSwitch(states).Engaged && Tightest(states).RemainingCents >= cents;
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
        var now = _time.GetUtcNow();
        var request = new AddSpendRequest(LevelBuckets(now), cents, LedgerIds.New(now), now.ToUnixTimeMilliseconds(), Run);
        var states = await _guard.RunAsync(LedgerOperation.RecordSpend, () => _store.AddSpendAsync(request, cancellationToken))
            .ConfigureAwait(false);
        Observe(PathKillSwitch(states));
        return Tightest(states).Snapshot;
    }

    /// <remarks>
    /// The level of the path with the least remaining (what the run can still spend); a read only
    /// (metrics scrapes and <c>/status</c> call it): kept settles wait for the next write.
    /// </remarks>
    public async ValueTask<BudgetSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        var status = await StatusAsync(cancellationToken).ConfigureAwait(false);
        var tightest = status;
        foreach (var level in status.Levels ?? [])
        {
            if (level.RemainingCents < (tightest.RemainingCents ?? long.MaxValue))
            {
                tightest = level;
            }
        }
        return new BudgetSnapshot(tightest.BudgetCents ?? 0, tightest.SpentCents, tightest.ReservedCents,
            ReferenceEquals(tightest, status) ? null : $"budget '{tightest.BudgetKey}'");
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

    // ---- the account's terms --------------------------------------------------------------------

    /// <summary>Whether <see cref="EnsureAccountAsync"/> created the account (the run's terms became the account's).</summary>
    public bool Created { get; private set; }

    /// <summary>
    /// Makes sure the account has terms before a run uses it: when it has none, it is created with
    /// the run's (<see cref="Account"/>'s) limit and window, atomically, unless
    /// <paramref name="createMissing"/> is false. An existing account is never changed. True when
    /// this call created it.
    /// </summary>
    /// <exception cref="AccountNotFoundException">It does not exist and may not be created.</exception>
    public async ValueTask<bool> EnsureAccountAsync(bool createMissing, CancellationToken cancellationToken)
    {
        var created = false;
        if (createMissing && Account is { LimitCents: { } limit, Window: { } window })
        {
            var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var terms = AccountConfig.From(new AccountTerms(limit, window));
            created = await _guard.RunAsync(LedgerOperation.Account, () => _store.CreateAccountAsync(terms, nowMs, Run, cancellationToken))
                .ConfigureAwait(false);
        }
        if (await LoadTermsAsync(cancellationToken).ConfigureAwait(false) is null)
        {
            throw new AccountNotFoundException($"budget '{Account.Key}' does not exist in {Name}");
        }
        Created = created;
        return created;
    }

    /// <summary>
    /// Measures the ledger's clock against this process's (<see cref="LedgerClock"/>), so that the
    /// windows shown and charged are the ledger's from the first operation on; every reservation
    /// measures it again.
    /// </summary>
    public async ValueTask SyncClockAsync(CancellationToken cancellationToken)
    {
        if (_options.ClientClock)
        {
            return;
        }
        var sentAtMs = _time.LocalNowMs();
        if (await _guard.RunAsync(LedgerOperation.Open, () => _store.ReadClockAsync(cancellationToken)).ConfigureAwait(false) is { } ledgerNowMs)
        {
            _time.Observe(ledgerNowMs, sentAtMs, _time.LocalNowMs());
        }
    }

    /// <summary>The ledger's clock minus this process's, in milliseconds, as last measured.</summary>
    public long ClockOffsetMs => _time.OffsetMs;

    /// <summary>Reads the account's stored terms (null: the account does not exist, or only a kill switch was set on it).</summary>
    public async ValueTask<AccountTerms?> LoadTermsAsync(CancellationToken cancellationToken)
    {
        var stored = await _guard.RunAsync(LedgerOperation.Account, () => _store.ReadTermsAsync(cancellationToken)).ConfigureAwait(false);
        return Remember(stored);
    }

    /// <summary>Keeps the path's terms as read (checking each level's are known here); the account's own.</summary>
    private AccountTerms? Remember(IReadOnlyList<AccountConfig> stored)
    {
        var terms = new AccountTerms?[stored.Count];
        for (var i = 0; i < terms.Length; i++)
        {
            terms[i] = ToTerms(stored[i]);
        }
        lock (_gate)
        {
            _levelConfigs = [.. stored];
            _terms = terms[^1];
        }
        return terms[^1];
    }

    /// <summary>
    /// Replaces the account's terms, creating it when missing; returns the terms before (null: it had
    /// none). Every change of an account's terms goes through this method: it is where a history of
    /// changes will be recorded. Runs already using the account reserve against the new limit at once.
    /// </summary>
    public async ValueTask<AccountTerms?> SetTermsAsync(AccountTerms terms, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(terms);
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var config = AccountConfig.From(terms);
        var before = await _guard.RunAsync(LedgerOperation.SetTerms, () => _store.SetTermsAsync(config, nowMs, Run, cancellationToken))
            .ConfigureAwait(false);
        lock (_gate)
        {
            _terms = terms;
        }
        return ToTerms(before);
    }

    /// <summary>Every account of this ledger whose key starts with <paramref name="prefix"/>.</summary>
    public ValueTask<IReadOnlyList<AccountEntry>> ListAccountsAsync(string prefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return _guard.RunAsync(LedgerOperation.List, () => _store.ListAccountsAsync(prefix, cancellationToken));
    }

    /// <summary>
    /// This account's history from <paramref name="since"/> (inclusive) to <paramref name="until"/>
    /// (exclusive), oldest first, after the cursor <paramref name="after"/> (null: from the start), at
    /// most <paramref name="limit"/> entries: page with the last entry's cursor.
    /// </summary>
    public ValueTask<IReadOnlyList<HistoryEntry>> HistoryAsync(DateTimeOffset since, DateTimeOffset until, string? after, int limit,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return _guard.RunAsync(LedgerOperation.History,
            () => _store.ReadHistoryAsync(since.ToUnixTimeMilliseconds(), until.ToUnixTimeMilliseconds(), after, limit, cancellationToken));
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
        id ??= LedgerIds.New(_time.GetUtcNow());
        for (var attempt = 1; ; attempt++)
        {
            var now = _time.GetUtcNow();
            var nowMs = now.ToUnixTimeMilliseconds();
            var levels = LevelBuckets(now);
            var sentAtMs = _time.LocalNowMs();
            var request = new ReserveRequest(id, levels, cents, AccountConfig.From(new AccountTerms(limit, window)) with { Version = levels[^1].Version },
                nowMs, nowMs + (long)_options.ReservationTtl.TotalMilliseconds, Run);
            ReserveAnswer answer;
            try
            {
                answer = await _guard.RunAsync(LedgerOperation.Reserve, () => _store.ReserveAsync(request, cancellationToken)).ConfigureAwait(false);
            }
            catch (LedgerUnavailableException ex) when (_store.MayHaveLanded(ex.InnerException!))
            {
                // The request may have reached the store with its answer lost (a timeout): the store may
                // still run it. Nobody will use or settle it, so it is cancelled once the store answers.
                _finisher.KeepCancellation(request.Id);
                throw;
            }
            if (answer.LedgerNowMs is { } ledgerNowMs && !_options.ClientClock)
            {
                _time.Observe(ledgerNowMs, sentAtMs, _time.LocalNowMs());
            }
            if (answer.Status == ReserveStatus.OutsideWindow)
            {
                // This process's clock is off from the ledger's across a window's edge: the answer
                // carried the ledger's time, so the buckets are computed again on it. A clock that
                // keeps jumping fails closed.
                if (attempt == MaxStaleRetries)
                {
                    throw StoreGuard.Unavailable(Name, LedgerOperation.Reserve, "the ledger's clock kept leaving the window the reservation was made for",
                        new InvalidDataException("outside the window"), _options);
                }
                continue;
            }
            if (answer.Status == ReserveStatus.Stale)
            {
                // A level's terms changed since they were read (a budget set, a new limit above): read
                // them again; a stale answer wrote nothing. Terms that keep changing fail closed.
                if (attempt == MaxStaleRetries)
                {
                    throw StoreGuard.Unavailable(Name, LedgerOperation.Reserve, "the account's terms kept changing during the reservation",
                        new InvalidDataException("stale terms"), _options);
                }
                await LoadTermsAsync(cancellationToken).ConfigureAwait(false);
                (limit, window) = RunTerms();
                continue;
            }
            Observe(PathKillSwitch(answer.Levels));
            var status = ToPathStatus(answer.Levels, levels, now);
            var decider = answer.Decider >= 0 ? levels[answer.Decider].Key : null;
            return new ReserveResult(answer.Status, answer.Status == ReserveStatus.Reserved ? request.Id : null, cents, status, decider);
        }
    }

    private const int MaxStaleRetries = 5;

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

    /// <summary>
    /// The account in its current window, by its stored terms (re-read, so a <c>budget set</c> shows at
    /// once), with the levels above it that have terms.
    /// </summary>
    public async ValueTask<AccountStatus> StatusAsync(CancellationToken cancellationToken)
    {
        var stored = await _guard.RunAsync(LedgerOperation.Status, () => _store.ReadTermsAsync(cancellationToken)).ConfigureAwait(false);
        Remember(stored);
        var now = _time.GetUtcNow();
        var levels = LevelBuckets(now, requireTerms: false);
        var states = await _guard.RunAsync(LedgerOperation.Status,
            () => _store.ReadBucketsAsync(levels, now.ToUnixTimeMilliseconds(), cancellationToken))
            .ConfigureAwait(false);
        Observe(PathKillSwitch(states));
        return ToPathStatus(states, levels, now);
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
        var change = KillSwitchChange.Kill(reasonText, nowMs) with { Actor = Run };
        var changed = await _guard.RunAsync(LedgerOperation.Kill, () => _store.SetKillSwitchAsync(change, cancellationToken))
            .ConfigureAwait(false);
        await ReadKillSwitchAsync(cancellationToken).ConfigureAwait(false);
        return changed;
    }

    public async ValueTask<bool> ResumeAsync(CancellationToken cancellationToken)
    {
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var change = KillSwitchChange.Resume(nowMs) with { Actor = Run };
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

    /// <summary>The stored terms once read, else the run's own (a ledger composed without <see cref="EnsureAccountAsync"/>).</summary>
    private (long Limit, BudgetWindow Window) RunTerms()
    {
        if (Account is not { LimitCents: { } limit, Window: { } window })
        {
            throw new InvalidOperationException($"account '{Account.Key}' was opened without a limit and a window: it can only be administered");
        }
        return Terms is { } stored ? (stored.LimitCents, stored.Window) : (limit, window);
    }

    /// <summary>A stored calendar or zone this system does not know fails closed like an unreadable ledger.</summary>
    private AccountTerms? ToTerms(AccountConfig config)
    {
        try
        {
            return config.ToTerms();
        }
        catch (InvalidDataException ex)
        {
            throw StoreGuard.Unavailable(Name, LedgerOperation.Account, ex.Message, ex, _options);
        }
    }

    /// <summary>
    /// The bucket of every level in the current window by the terms last read, with their versions;
    /// the account's own by the run's terms while it has none stored (or, for a command that only
    /// administers it, none at all).
    /// </summary>
    private IReadOnlyList<LevelBucket> LevelBuckets(DateTimeOffset now) => LevelBuckets(now, requireTerms: true);

    private LevelBucket[] LevelBuckets(DateTimeOffset now, bool requireTerms)
    {
        AccountConfig[] configs;
        lock (_gate)
        {
            configs = _levelConfigs;
        }
        var levels = new LevelBucket[_path.Count];
        for (var i = 0; i < levels.Length; i++)
        {
            var window = ToTerms(configs[i])?.Window;
            if (window is null && i == levels.Length - 1)
            {
                window = requireTerms ? RunTerms().Window : Account.Window;
            }
            levels[i] = window is { } w
                ? new LevelBucket(_path[i], w.BucketAt(now), configs[i].Version,
                    w.StartsAt(now)?.ToUnixTimeMilliseconds() ?? long.MinValue, w.EndsAt(now)?.ToUnixTimeMilliseconds() ?? long.MaxValue)
                : new LevelBucket(_path[i], null, configs[i].Version);
        }
        return levels;
    }

    /// <summary>The limit a level is held to: its stored one; for the account itself, the run's while none is stored.</summary>
    private long? LimitOf(int level)
    {
        AccountConfig config;
        lock (_gate)
        {
            config = _levelConfigs[level];
        }
        return config.LimitCents ?? (level == _path.Count - 1 ? Account.LimitCents : null);
    }

    private BudgetWindow? WindowOf(int level)
    {
        AccountConfig config;
        lock (_gate)
        {
            config = _levelConfigs[level];
        }
        return ToTerms(config)?.Window ?? (level == _path.Count - 1 ? Account.Window ?? BudgetWindow.None : null);
    }

    /// <summary>The engaged kill switch nearest the root, or off.</summary>
    private static KillSwitchState PathKillSwitch(IReadOnlyList<BucketState> states) =>
        states.Select(state => state.KillSwitch).FirstOrDefault(state => state.Engaged);

    /// <summary>The level with the least remaining: what a run of this account can still spend.</summary>
    private (long RemainingCents, BudgetSnapshot Snapshot) Tightest(IReadOnlyList<BucketState> states)
    {
        (long, BudgetSnapshot)? tightest = null;
        for (var i = 0; i < states.Count; i++)
        {
            if (LimitOf(i) is not { } limit)
            {
                continue;
            }
            var remaining = limit - states[i].SpentCents - states[i].ReservedCents;
            if (tightest is null || remaining < tightest.Value.Item1)
            {
                tightest = (remaining, new BudgetSnapshot(limit, states[i].SpentCents, states[i].ReservedCents,
                    i == states.Count - 1 ? null : $"budget '{_path[i]}'"));
            }
        }
        return tightest ?? throw new InvalidOperationException($"account '{Account.Key}' has no limit on any level");
    }

    /// <summary>The account's status with the levels above it that have terms (root first).</summary>
    private AccountStatus ToPathStatus(IReadOnlyList<BucketState> states, IReadOnlyList<LevelBucket> levels, DateTimeOffset now)
    {
        var leaf = states.Count - 1;
        List<AccountStatus>? above = null;
        for (var i = 0; i < leaf; i++)
        {
            if (LimitOf(i) is not null && levels[i].Bucket is not null)
            {
                (above ??= []).Add(ToStatus(levels[i].Key, states[i], LimitOf(i), WindowOf(i) ?? BudgetWindow.None, now));
            }
        }
        // The account reads as killed when any level above it is: its runs are stopped all the same.
        var own = states[leaf] with { KillSwitch = PathKillSwitch(states) };
        return ToStatus(Account.Key, own, LimitOf(leaf), WindowOf(leaf) ?? BudgetWindow.None, now) with { Levels = above };
    }

    private static AccountStatus ToStatus(string key, BucketState state, long? limit, BudgetWindow window, DateTimeOffset now) => new(
        key,
        limit,
        state.SpentCents,
        state.ReservedCents,
        limit is { } l ? Math.Max(0, l - state.SpentCents - state.ReservedCents) : null,
        window.EndsAt(now),
        state.KillSwitch.Engaged,
        state.KillSwitch.Engaged ? state.KillSwitch.Reason : null);
}
