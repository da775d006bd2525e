using System.Globalization;
using BudgetRun.Engine.Budget;
using BudgetRun.Ledgers;

namespace BudgetRun.ControlPlane.Tests.Fakes;

/// <summary>
/// A shared account (<c>--budget-key</c>) in memory, behind a <see cref="LedgerSwitch"/>: what the
/// sidecar serves and what a run's <c>/status</c> and fleet kill use. Reservations, settles by id,
/// the kill switch and the status follow the ledger contract closely enough for the endpoints'
/// answers (200/402/423, 200/409/404); windows, TTLs and cross-process atomicity are the real
/// ledgers' and their contract tests'.
/// </summary>
internal sealed class FakeAccountLedger(string key, long limitCents, LedgerSwitch @switch) : IAccountLedger
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _open = [];
    private readonly HashSet<string> _finished = [];
    private long _spent;
    private long _reserved;
    private int _nextId;
    private KillSwitchState _killSwitch = KillSwitchState.Off;

    public event EventHandler<KillSwitchState>? KillSwitchChanged;

    public LedgerSwitch Switch => @switch;

    public string Name => LedgerSwitch.LedgerName;

    public LedgerAccount Account { get; } = new(key, limitCents, BudgetWindow.None);

    public long FaultCount => @switch.Faults;

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

    /// <summary>What <see cref="StatusAsync"/> shows as the end of the window.</summary>
    public DateTimeOffset? WindowEndsAt { get; set; }

    /// <summary>The levels above the account that <see cref="StatusAsync"/> reports, as a store would read them.</summary>
    public IReadOnlyList<AccountStatus>? Levels { get; set; }

    public async ValueTask<ReserveResult> ReserveAsync(long cents, CancellationToken cancellationToken)
    {
        await @switch.EnterAsync("reserve", cancellationToken);
        lock (_gate)
        {
            if (_killSwitch.Engaged)
            {
                return new ReserveResult(ReserveStatus.Killed, null, cents, StatusLocked());
            }
            if (_spent + _reserved + cents > limitCents)
            {
                return new ReserveResult(ReserveStatus.Insufficient, null, cents, StatusLocked());
            }
            var id = "r" + (++_nextId).ToString(CultureInfo.InvariantCulture);
            _open[id] = cents;
            _reserved += cents;
            return new ReserveResult(ReserveStatus.Reserved, id, cents, StatusLocked());
        }
    }

    public async ValueTask<SettleOutcome> SettleByIdAsync(string id, long actualCents, CancellationToken cancellationToken)
    {
        await @switch.EnterAsync("settle", cancellationToken);
        return Finish(id, actualCents);
    }

    public async ValueTask<SettleOutcome> ReleaseByIdAsync(string id, CancellationToken cancellationToken)
    {
        await @switch.EnterAsync("release", cancellationToken);
        return Finish(id, 0);
    }

    public async ValueTask<AccountStatus> StatusAsync(CancellationToken cancellationToken)
    {
        await @switch.EnterAsync("status", cancellationToken);
        lock (_gate)
        {
            return StatusLocked();
        }
    }

    public async ValueTask<KillSwitchState> ReadKillSwitchAsync(CancellationToken cancellationToken)
    {
        await @switch.EnterAsync("kill-switch", cancellationToken);
        return KillSwitch;
    }

    public async ValueTask<bool> KillAsync(string? reason, CancellationToken cancellationToken)
    {
        await @switch.EnterAsync("kill", cancellationToken);
        return SetKillSwitch(new KillSwitchState(true, reason, DateTimeOffset.UnixEpoch));
    }

    public async ValueTask<bool> ResumeAsync(CancellationToken cancellationToken)
    {
        await @switch.EnterAsync("resume", cancellationToken);
        return SetKillSwitch(KillSwitchState.Off);
    }

    public ValueTask<ReservationInfo?> GetReservationAsync(string id, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the endpoints never read a reservation");

    public ValueTask<IAsyncDisposable> WatchKillSwitchAsync(CancellationToken cancellationToken) =>
        throw new NotSupportedException("the endpoints never watch the kill switch");

    // ---- IBudgetLedger: a run with this account --------------------------------------------------

    public async ValueTask<Reservation?> TryReserveAsync(long cents, CancellationToken cancellationToken)
    {
        var result = await ReserveAsync(cents, cancellationToken);
        return result.Status == ReserveStatus.Reserved ? new Reservation(result.Id!, cents) : null;
    }

    public async ValueTask<bool> FitsAsync(long cents, CancellationToken cancellationToken)
    {
        await @switch.EnterAsync("fits", cancellationToken);
        lock (_gate)
        {
            return _spent + _reserved + cents <= limitCents;
        }
    }

    public async ValueTask SettleAsync(Reservation reservation, long actualCents, CancellationToken cancellationToken) =>
        await SettleByIdAsync(reservation.Id, actualCents, cancellationToken);

    public async ValueTask ReleaseAsync(Reservation reservation, CancellationToken cancellationToken) =>
        await ReleaseByIdAsync(reservation.Id, cancellationToken);

    public async ValueTask<BudgetSnapshot> RecordSpendAsync(long cents, CancellationToken cancellationToken)
    {
        await @switch.EnterAsync("record-spend", cancellationToken);
        lock (_gate)
        {
            _spent += cents;
            return new BudgetSnapshot(limitCents, _spent, _reserved);
        }
    }

    public async ValueTask<BudgetSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        await @switch.EnterAsync("snapshot", cancellationToken);
        lock (_gate)
        {
            return new BudgetSnapshot(limitCents, _spent, _reserved);
        }
    }

    public ValueTask<int> FinishUnfinishedAsync(CancellationToken cancellationToken) => ValueTask.FromResult(0);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private SettleOutcome Finish(string id, long actualCents)
    {
        lock (_gate)
        {
            if (_finished.Contains(id))
            {
                return SettleOutcome.AlreadySettled;
            }
            if (!_open.Remove(id, out var cents))
            {
                return SettleOutcome.NotFound;
            }
            _finished.Add(id);
            _reserved -= cents;
            _spent += actualCents;
            return SettleOutcome.Settled;
        }
    }

    private bool SetKillSwitch(KillSwitchState state)
    {
        bool changed;
        lock (_gate)
        {
            changed = _killSwitch.Engaged != state.Engaged;
            _killSwitch = state;
        }
        if (changed)
        {
            KillSwitchChanged?.Invoke(this, state);
        }
        return changed;
    }

    private AccountStatus StatusLocked() => new(Account.Key, limitCents, _spent, _reserved,
        Math.Max(0, limitCents - _spent - _reserved), WindowEndsAt, _killSwitch.Engaged, _killSwitch.Reason)
    { Levels = Levels };
}
