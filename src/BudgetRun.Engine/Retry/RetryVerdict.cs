namespace BudgetRun.Engine.Retry;

/// <summary>The retry decision: go on after a delay, or end the run, and why.</summary>
internal abstract record RetryVerdict
{
    private RetryVerdict()
    {
    }

    /// <summary>Start another attempt after <paramref name="Delay"/>; <paramref name="ChildAsked"/>: the child's request made it longer.</summary>
    public sealed record Retry(TimeSpan Delay, bool ChildAsked = false) : RetryVerdict;

    /// <summary>The run ends with this outcome, exit code and message.</summary>
    public sealed record End(RunOutcome Outcome, int ExitCode, string Message) : RetryVerdict;

    /// <summary>The run ends because the next attempt's cost does not fit (the message needs the budget's figures).</summary>
    public sealed record EndForBudget : RetryVerdict;

    /// <summary>The run ends for a stop reason (a requested stop, or the deadline the wait would pass).</summary>
    /// <param name="Reason">The reason to request; null when a stop is already under way.</param>
    /// <param name="Detail">Its explanation.</param>
    public sealed record Stop(StopReason? Reason, string? Detail) : RetryVerdict;

    /// <summary>The decision depends on whether another attempt fits: ask the budget, then decide again.</summary>
    public sealed record AskBudget : RetryVerdict;
}
