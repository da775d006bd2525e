namespace BudgetRun.Engine.Retry;

/// <summary>
/// Whether another attempt starts: a pure function of the attempt and the run's state, in order of
/// precedence (an attempt that ended the run, a stop request, success, the child's refusal, the
/// output predicates (a <c>--retry-if-output</c> match overrules the exit-code policy), the exit-code policy, the
/// attempt cap, the budget, the deadline the wait would pass). The cap decides before the budget
/// when both run out at the same moment. Side effects (the delay, the ledger, logs) are the
/// supervisor's; this only decides. The child's request is a fact like the others: "no retry"
/// ends the run as not retryable once success is ruled out, and "after" lengthens the wait (up to
/// <see cref="MaxChildDelay"/>) before the deadline is checked against it.
/// </summary>
internal sealed class RetryDecision(ExitCodeClassifier classifier, int maxAttempts, TimeSpan? deadline)
{
    /// <summary>The longest wait a child's <c>after</c> can ask for (README, Control plane): a longer one is cut to this.</summary>
    public static readonly TimeSpan MaxChildDelay = TimeSpan.FromHours(1);

    public RetryVerdict Decide(AttemptOutcome outcome, RetryFacts facts)
    {
        if (outcome.Attempt is not { } attempt)
        {
            return outcome.BudgetRefused ? new RetryVerdict.EndForBudget() : new RetryVerdict.Stop(null, null);
        }
        if (outcome.StartError is { } startError)
        {
            return new RetryVerdict.End(RunOutcome.StartFailed, attempt.Code, startError);
        }
        if (outcome.InterruptedAtTerminal)
        {
            // The terminal's Ctrl-C reaches the child's (foreground) group, not us: it is an interrupt.
            return new RetryVerdict.End(RunOutcome.Interrupted, ExitCodes.Interrupted, "the command was interrupted (SIGINT)");
        }
        if (facts.StopRequested)
        {
            return new RetryVerdict.Stop(null, null);
        }
        if (attempt.Kind == AttemptKind.Success)
        {
            return new RetryVerdict.End(RunOutcome.Succeeded, ExitCodes.Success, $"attempt {attempt.Number} succeeded");
        }
        if (facts.ChildRequest is { Retry: false } refusal)
        {
            return new RetryVerdict.End(RunOutcome.NotRetryable, attempt.Code, refusal.Reason is { Length: > 0 } reason
                ? $"the child asked not to retry: {reason}"
                : "the child asked not to retry");
        }
        switch (outcome.Output.Kind)
        {
            case OutputVerdictKind.NoRetry or OutputVerdictKind.NoMatch:
                return new RetryVerdict.End(RunOutcome.NotRetryable, attempt.Code, $"attempt {attempt.Number} ended with {Describe(attempt)} and {outcome.Output.Rule}");
        }
        if (outcome.Output.Kind != OutputVerdictKind.Retry && !classifier.IsRetryable(attempt.Code, attempt.Kind switch
        {
            AttemptKind.Oom => ExitCodes.Oom,
            AttemptKind.Unhealthy => ExitCodes.Unhealthy,
            _ => null,
        }))
        {
            return new RetryVerdict.End(RunOutcome.NotRetryable, attempt.Code, $"exit code {attempt.Code} is not retried");
        }
        if (facts.AttemptsCounted >= maxAttempts)
        {
            // After a --reset-after the cap counts the attempts since then, not all of them.
            return new RetryVerdict.End(RunOutcome.AttemptsExhausted, attempt.Code, (facts.CountStartedOver, maxAttempts) switch
            {
                (false, 1) => $"the only attempt allowed failed with {Describe(attempt)}",
                (false, _) => $"all {maxAttempts} attempts failed; the last ended with {Describe(attempt)}",
                (true, _) => $"the {maxAttempts} attempt(s) allowed since the count started over failed ({attempt.Number} in all); the last ended with {Describe(attempt)}",
            });
        }
        switch (facts.NextAttemptFits)
        {
            case null:
                return new RetryVerdict.AskBudget();
            case false:
                return new RetryVerdict.EndForBudget();
        }
        var delay = facts.NextDelay;
        var childAsked = false;
        if (facts.ChildRequest?.After is { } after && Min(after, MaxChildDelay) > delay)
        {
            delay = Min(after, MaxChildDelay);
            childAsked = true;
        }
        if (facts.DeadlineAt is { } deadlineAt && facts.Now + delay >= deadlineAt)
        {
            return new RetryVerdict.Stop(StopReason.Deadline,
                $"the next attempt would start after the run's deadline of {Durations.Format(deadline!.Value)}");
        }
        return new RetryVerdict.Retry(delay, childAsked);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>How an attempt ended, in the words of the log and the report.</summary>
    public static string Describe(AttemptRecord attempt) => attempt.Kind switch
    {
        AttemptKind.Timeout => "a timeout (124)",
        AttemptKind.Signal or AttemptKind.Killed when attempt.Signal is { } s => $"{Signals.Name(s)} ({attempt.Code})",
        AttemptKind.Oom => $"the OOM killer (SIGKILL, {attempt.Code})",
        AttemptKind.Unhealthy => $"failed health checks (stopped, {attempt.Code})",
        _ => $"exit code {attempt.Code}",
    };
}
