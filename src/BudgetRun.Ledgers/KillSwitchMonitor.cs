using BudgetRun.Engine.Budget;

namespace BudgetRun.Ledgers;

/// <summary>
/// Polls an account's kill switch on a <see cref="TimeProvider"/> timer, and at once when a push
/// channel pokes it. One poll runs at a time; a poke during a poll makes one more. A failed poll is
/// ignored here (the ledger counted it): a ledger blip never engages the switch.
/// </summary>
internal sealed class KillSwitchMonitor : IAsyncDisposable
{
    private readonly Func<ValueTask> _poll;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly Lock _gate = new();
    private ITimer? _timer;
    private IAsyncDisposable? _subscription;
    private Task _running = Task.CompletedTask;
    private bool _busy;
    private bool _again;
    private bool _disposed;

    public KillSwitchMonitor(Func<ValueTask> poll, TimeProvider time, TimeSpan interval)
    {
        _poll = poll;
        _time = time;
        _interval = interval;
    }

    /// <summary>Keeps the push channel that pokes this monitor, to end it with the monitor.</summary>
    public void Attach(IAsyncDisposable? subscription) => _subscription = subscription;

    public void Start()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _timer ??= _time.CreateTimer(static state => ((KillSwitchMonitor)state!).Poke(), this, TimeSpan.Zero, _interval);
            }
        }
    }

    /// <summary>Polls now (or right after the poll under way).</summary>
    public void Poke()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            if (_busy)
            {
                _again = true;
                return;
            }
            _busy = true;
            _running = Task.Run(PollLoopAsync);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task running;
        lock (_gate)
        {
            _disposed = true;
            running = _running;
        }
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }
        if (_subscription is not null)
        {
            await _subscription.DisposeAsync().ConfigureAwait(false);
        }
        await running.ConfigureAwait(false);
    }

    private async Task PollLoopAsync()
    {
        while (true)
        {
            try
            {
                await _poll().ConfigureAwait(false);
            }
            catch (LedgerUnavailableException)
            {
                // Counted and reported by the ledger; the next poll tries again.
            }
            catch (ObjectDisposedException)
            {
                // The ledger closed under the poll.
            }
            lock (_gate)
            {
                if (!_again || _disposed)
                {
                    _busy = false;
                    return;
                }
                _again = false;
            }
        }
    }
}
