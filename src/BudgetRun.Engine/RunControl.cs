namespace BudgetRun.Engine;

/// <summary>
/// The outside world's handle on a run: signals, the kill switch and the cost API ask it to stop;
/// the first reason asked for wins and is the one reported.
/// </summary>
public sealed class RunControl : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _kill = new();
    private int _reason = -1;
    private int _stopSignal;
    private Action<int>? _forward;
    private Retry.ChildRetryRequest? _retryRequest;

    /// <summary>Cancelled once a stop has been requested.</summary>
    public CancellationToken StopToken => _stop.Token;

    public bool IsStopRequested => Volatile.Read(ref _reason) >= 0;

    public StopReason? Reason => Volatile.Read(ref _reason) is var r and >= 0 ? (StopReason)r : null;

    /// <summary>
    /// Cancelled by <see cref="Escalate"/>: whatever is being stopped gets SIGKILL at once, the
    /// rest of the kill grace is skipped.
    /// </summary>
    public CancellationToken KillToken => _kill.Token;

    /// <summary>The signal of a <see cref="StopReason.Signal"/> stop (0 for any other reason).</summary>
    public int StopSignal => Volatile.Read(ref _stopSignal);

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
        // Kept exactly as given (the report and the JSON log hold the operator's words); the human
        // log format escapes control characters in every line, so a reason cannot forge one.
        Detail = detail;
        _stop.Cancel();
        return true;
    }

    /// <summary>
    /// Asks the run to stop because budget-run got <paramref name="signal"/>: SIGINT and SIGTERM are
    /// <see cref="StopReason.Interrupt"/> and <see cref="StopReason.Terminate"/>, any other signal
    /// is <see cref="StopReason.Signal"/> (exit code 128 + the signal).
    /// </summary>
    /// <returns>true for the first request, false when a stop was already under way.</returns>
    public bool RequestStop(int signal)
    {
        switch (signal)
        {
            case Signals.SIGINT:
                return RequestStop(StopReason.Interrupt);
            case Signals.SIGTERM:
                return RequestStop(StopReason.Terminate);
            default:
                if (IsStopRequested)
                {
                    return false;
                }
                Interlocked.CompareExchange(ref _stopSignal, signal, 0);
                return RequestStop(StopReason.Signal, "stopped by " + Signals.Name(signal));
        }
    }

    /// <summary>
    /// A second stop signal during a stop (the operator insists): SIGKILL to the whole tree now,
    /// instead of waiting out the kill grace. The run still ends with the first stop's reason.
    /// </summary>
    public void Escalate()
    {
        if (IsStopRequested)
        {
            _kill.Cancel();
        }
    }

    /// <summary>
    /// The child's say on the retry after its attempt (<c>POST /retry</c>): read by the decision
    /// that follows the attempt, once; a later request replaces an earlier one not yet read.
    /// </summary>
    internal void AskRetry(Retry.ChildRetryRequest request) => Volatile.Write(ref _retryRequest, request);

    /// <summary>The child's request since the last decision, if any; it is read once.</summary>
    internal Retry.ChildRetryRequest? TakeRetryRequest() => Interlocked.Exchange(ref _retryRequest, null);

    /// <summary>Passes a signal on to the current child's process group, if a child is running.</summary>
    public void Forward(int signal) => Volatile.Read(ref _forward)?.Invoke(signal);

    internal void SetForwarder(Action<int>? forward) => Volatile.Write(ref _forward, forward);

    public void Dispose()
    {
        _stop.Dispose();
        _kill.Dispose();
    }
}
