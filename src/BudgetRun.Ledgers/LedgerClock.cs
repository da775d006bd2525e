namespace BudgetRun.Ledgers;

/// <summary>
/// The ledger's clock as this process knows it: the injected clock plus the offset last measured
/// against the store's own (Redis <c>TIME</c>, PostgreSQL <c>clock_timestamp()</c>). Windows and
/// reservation expiry are decided on the ledger's clock, so replicas whose clocks drift agree on
/// one window; the store still checks every reservation against its own clock
/// (<see cref="ReserveStatus.OutsideWindow"/>), so the offset only saves a retry. Timers and
/// timestamps are the injected clock's.
/// </summary>
internal sealed class LedgerClock : TimeProvider
{
    private readonly TimeProvider _inner;
    private long _offsetMs;

    public LedgerClock(TimeProvider inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
    }

    /// <summary>The ledger's clock minus this process's, in milliseconds (0 until measured, and for a store that keeps the client's time).</summary>
    public long OffsetMs => Interlocked.Read(ref _offsetMs);

    public override DateTimeOffset GetUtcNow() => _inner.GetUtcNow().AddMilliseconds(OffsetMs);

    public override TimeZoneInfo LocalTimeZone => _inner.LocalTimeZone;

    public override long TimestampFrequency => _inner.TimestampFrequency;

    public override long GetTimestamp() => _inner.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        _inner.CreateTimer(callback, state, dueTime, period);

    /// <summary>
    /// Takes the store's clock, read at <paramref name="ledgerNowMs"/> between this process's
    /// <paramref name="sentAtMs"/> and <paramref name="answeredAtMs"/>: the offset is measured from
    /// the middle of that round trip, so it is off by at most half of it.
    /// </summary>
    public void Observe(long ledgerNowMs, long sentAtMs, long answeredAtMs) =>
        Interlocked.Exchange(ref _offsetMs, ledgerNowMs - (sentAtMs + ((answeredAtMs - sentAtMs) / 2)));

    /// <summary>This process's own time (without the offset), in Unix milliseconds: what <see cref="Observe"/> takes.</summary>
    public long LocalNowMs() => _inner.GetUtcNow().ToUnixTimeMilliseconds();
}
