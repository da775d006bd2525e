namespace BudgetRun.Engine;

/// <summary>
/// The outside world's handle on a run: signals, the kill switch and the cost API ask it to stop;
/// the first reason asked for wins and is the one reported.
/// </summary>
public sealed class RunControl : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private int _reason = -1;
    private Action<int>? _forward;

    /// <summary>Cancelled once a stop has been requested.</summary>
    public CancellationToken StopToken => _stop.Token;

    public bool IsStopRequested => Volatile.Read(ref _reason) >= 0;

    public StopReason? Reason => Volatile.Read(ref _reason) is var r and >= 0 ? (StopReason)r : null;

    /// <summary>A human explanation of the stop (e.g. the kill switch's reason).</summary>
    public string? Detail { get; private set; }

    /// <summary>Asks the run to stop: no further attempt starts and the current child is stopped.</summary>
    /// <returns>true for the first request, false when a stop was already under way.</returns>
    public bool RequestStop(StopReason reason, string? detail = null)
    {
        if (Interlocked.CompareExchange(ref _reason, (int)reason, -1) != -1)
        {
            return false;
        }
        // Reasons come from outside (POST /kill, the ledger's kill switch) and end up in logs and the
        // report: one line each, so a reason can never forge the run's last log line.
        Detail = detail is null ? null : string.Concat(detail.Select(c => char.IsControl(c) ? ' ' : c));
        _stop.Cancel();
        return true;
    }

    /// <summary>Passes a signal on to the current child's process group, if a child is running.</summary>
    public void Forward(int signal) => Volatile.Read(ref _forward)?.Invoke(signal);

    internal void SetForwarder(Action<int>? forward) => Volatile.Write(ref _forward, forward);

    public void Dispose() => _stop.Dispose();
}
