namespace BudgetRun.Engine.Retry;

/// <summary>
/// The delay before the next attempt: min(base * 2^(n-1), max) after the n-th failure, Polly's
/// decorrelated jitter ("V2", the formula Polly v8 uses for exponential backoff with jitter),
/// capped by max, or full jitter (a uniform random share of the capped exponential delay). Polly's own generator counts its attempts internally and cannot start over, which
/// <c>--reset-after</c> needs, so the pipeline takes its delays from here through its
/// <c>DelayGenerator</c>.
/// </summary>
internal sealed class BackoffSchedule(TimeSpan baseDelay, TimeSpan maxDelay, JitterKind jitter, Func<double> random)
{
    // Constants of Polly's DecorrelatedJitterBackoffV2 (Polly.Core/Retry/RetryHelper.cs).
    private const double PFactor = 4.0;
    private const double RpScalingFactor = 1 / 1.4d;

    private int _failures;
    private double _jitterState;
    private (TimeSpan Delay, double JitterState)? _peeked;

    /// <summary>Failures counted since the start or the last <see cref="Reset"/>.</summary>
    public int Failures => _failures;

    /// <summary>The delay after one more failure.</summary>
    public TimeSpan Next()
    {
        var (delay, jitterState) = _peeked ?? Compute();
        _peeked = null;
        _failures++;
        _jitterState = jitterState;
        return delay;
    }

    /// <summary>The delay <see cref="Next"/> will return, without counting a failure (the retry decision looks before it commits).</summary>
    public TimeSpan Peek()
    {
        _peeked ??= Compute();
        return _peeked.Value.Delay;
    }

    private (TimeSpan Delay, double JitterState) Compute()
    {
        var attempt = _failures; // 0-based, as in Polly
        if (baseDelay <= TimeSpan.Zero)
        {
            return (TimeSpan.Zero, _jitterState);
        }
        double ticks;
        var jitterState = _jitterState;
        if (jitter == JitterKind.Decorrelated)
        {
            var t = attempt + random();
            var next = Math.Pow(2, t) * Math.Tanh(Math.Sqrt(PFactor * t));
            if (!double.IsFinite(next))
            {
                return (maxDelay, jitterState); // as Polly does: past ~1024 failures 2^t overflows, and inf - inf is NaN
            }
            var intrinsic = next - jitterState;
            jitterState = next;
            ticks = intrinsic * RpScalingFactor * baseDelay.Ticks;
        }
        else
        {
            ticks = Math.Pow(2, attempt) * baseDelay.Ticks;
            if (jitter == JitterKind.Full)
            {
                // Capped first, then a random share of it: min(max, base * 2^n) * U[0, 1).
                ticks = Math.Min(double.IsNaN(ticks) ? maxDelay.Ticks : ticks, maxDelay.Ticks) * random();
            }
        }
        // The double comparison also absorbs overflow (2^1100 * base is +infinity, never a wrap);
        // a NaN could only come from a bug above, and must never mean "no wait at all".
        var delay = double.IsNaN(ticks) || ticks >= maxDelay.Ticks ? maxDelay : TimeSpan.FromTicks(Math.Max(0, (long)ticks));
        return (delay, jitterState);
    }

    /// <summary>Starts the sequence over (a healthy attempt under <c>--reset-after</c>).</summary>
    public void Reset()
    {
        _failures = 0;
        _jitterState = 0;
        _peeked = null;
    }
}
