namespace BudgetRun.Engine.Retry;

/// <summary>How backoff delays are randomised (<c>--jitter</c>); every kind is still capped by the maximum delay.</summary>
public enum JitterKind
{
    /// <summary>None: min(base * 2^(n-1), max), the seed's schedule.</summary>
    None,

    /// <summary>Polly's decorrelated jitter ("V2"), plain <c>--jitter</c>: spread around the exponential curve, never two replicas in step.</summary>
    Decorrelated,

    /// <summary>"Full jitter" as AWS and gRPC use it: a uniformly random delay between 0 and min(base * 2^(n-1), max).</summary>
    Full,
}
