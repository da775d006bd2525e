namespace BudgetRun.Ledgers;

/// <summary>
/// The updates a ledger could not make because the store did not answer, oldest first, and the last
/// few it made (so that a caller's retry reuses the first call's nonce). Thread-safe.
/// </summary>
internal sealed class PendingUpdates
{
    /// <summary>
    /// How many updates wait at the most. Past it the oldest is dropped: its reservation then counts
    /// in full when its TTL passes, which never overspends.
    /// </summary>
    public const int MaxPending = 1024;

    /// <summary>How many finished settles and releases are remembered so that a caller's retry is recognised.</summary>
    private const int RecentKept = 64;

    private readonly Lock _gate = new();
    private readonly List<PendingUpdate> _pending = [];
    private readonly Queue<PendingUpdate> _recent = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>The oldest waiting update; null when none waits.</summary>
    public PendingUpdate? Oldest()
    {
        lock (_gate)
        {
            return _pending.Count > 0 ? _pending[0] : null;
        }
    }

    /// <summary>The waiting or recently made settle or release of reservation <paramref name="id"/>.</summary>
    public PendingUpdate? Find(string id)
    {
        lock (_gate)
        {
            return _pending.Find(u => u.Id == id && u.Kind != FinishKind.Cancel) ?? _recent.FirstOrDefault(u => u.Id == id);
        }
    }

    public void Keep(PendingUpdate update)
    {
        lock (_gate)
        {
            if (_pending.Contains(update))
            {
                return;
            }
            if (_pending.Count >= MaxPending)
            {
                _pending.RemoveAt(0);
            }
            _pending.Add(update);
        }
    }

    /// <summary>The update was made: it no longer waits, and a retry of it is recognised for a while.</summary>
    public void Done(PendingUpdate update)
    {
        lock (_gate)
        {
            _pending.Remove(update);
            if (update.Kind != FinishKind.Cancel && !_recent.Contains(update))
            {
                _recent.Enqueue(update);
                if (_recent.Count > RecentKept)
                {
                    _recent.Dequeue();
                }
            }
        }
    }
}
