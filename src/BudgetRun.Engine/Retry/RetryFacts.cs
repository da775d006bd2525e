namespace BudgetRun.Engine.Retry;

/// <summary>The state of the run that the retry decision reads, gathered after an attempt.</summary>
/// <param name="StopRequested">A signal, the kill switch, the deadline or reported spend asked the run to stop.</param>
/// <param name="AttemptsCounted">Attempts that count towards the cap (since the start or the last <c>--reset-after</c>).</param>
/// <param name="NextAttemptFits">Whether another attempt's cost fits; null while not asked (the decision asks only when it matters).</param>
/// <param name="NextDelay">The backoff delay another attempt would wait.</param>
/// <param name="Now">The current time.</param>
/// <param name="DeadlineAt">When the run's deadline passes, if it has one.</param>
/// <param name="CountStartedOver">A <c>--reset-after</c> started the count over: attempt numbers have gone past the cap.</param>
/// <param name="ChildRequest">What the child asked of this retry during its attempt, if anything.</param>
internal readonly record struct RetryFacts(
    bool StopRequested,
    int AttemptsCounted,
    bool? NextAttemptFits,
    TimeSpan NextDelay,
    DateTimeOffset Now,
    DateTimeOffset? DeadlineAt,
    bool CountStartedOver = false,
    ChildRetryRequest? ChildRequest = null);
