namespace BudgetRun.Engine.Retry;

/// <summary>What one turn of the attempt loop produced, for <see cref="RetryDecision"/>.</summary>
/// <param name="Attempt">The attempt, or null when none started (a stop request, or its cost did not fit).</param>
/// <param name="BudgetRefused">No attempt started because its up-front cost did not fit.</param>
/// <param name="StartError">Why the command could not be started, for a <see cref="AttemptKind.StartError"/> attempt.</param>
/// <param name="InterruptedAtTerminal">The child died of the terminal's Ctrl-C (its group had the terminal).</param>
/// <param name="Output">What the output predicates made of the attempt's output.</param>
internal sealed record AttemptOutcome(
    AttemptRecord? Attempt,
    bool BudgetRefused = false,
    string? StartError = null,
    bool InterruptedAtTerminal = false,
    OutputVerdict Output = default)
{
    public static readonly AttemptOutcome NotStarted = new(Attempt: null);

    public static readonly AttemptOutcome Refused = new(Attempt: null, BudgetRefused: true);
}
