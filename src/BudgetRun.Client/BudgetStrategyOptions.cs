using System.ComponentModel.DataAnnotations;
using Polly;

namespace BudgetRun.Client;

/// <summary>
/// The options of the budget strategy (<see cref="BudgetResiliencePipelineBuilderExtensions.AddBudget{TResult}(ResiliencePipelineBuilder{TResult}, BudgetStrategyOptions{TResult})"/>):
/// every execution that reaches it reserves <see cref="ReserveCents"/> from the sidecar first and
/// settles with <see cref="SettleCents"/> after.
/// </summary>
/// <typeparam name="TResult">The result of the pipeline.</typeparam>
public class BudgetStrategyOptions<TResult> : ResilienceStrategyOptions
{
    /// <summary>Creates the options; the strategy is named <c>Budget</c>.</summary>
    public BudgetStrategyOptions() => Name = "Budget";

    /// <summary>The sidecar to reserve from. Required.</summary>
    [Required]
    public BudgetSidecarClient? Client { get; set; }

    /// <summary>What one attempt may cost at most, reserved before it starts: 1 to 10^12. Required.</summary>
    [Range(1d, 1e12)]
    public long ReserveCents { get; set; }

    /// <summary>
    /// What the attempt really cost, from its outcome (the tokens of an LLM answer, priced by the
    /// caller): 0 to 10^12, and it may exceed <see cref="ReserveCents"/> (recorded as overspend).
    /// Null: every attempt costs <see cref="ReserveCents"/>, whatever its outcome. When the function
    /// throws or answers outside that range, the attempt is charged <see cref="ReserveCents"/>.
    /// </summary>
    public Func<BudgetSettleArguments<TResult>, ValueTask<long>>? SettleCents { get; set; }
}

/// <summary>The options of the budget strategy for a pipeline without a result type.</summary>
public class BudgetStrategyOptions : BudgetStrategyOptions<object>
{
}

/// <summary>What <see cref="BudgetStrategyOptions{TResult}.SettleCents"/> prices.</summary>
/// <typeparam name="TResult">The result of the pipeline.</typeparam>
public readonly struct BudgetSettleArguments<TResult>
{
    /// <summary>Creates the arguments.</summary>
    /// <param name="context">The execution's context.</param>
    /// <param name="outcome">The attempt's outcome: its result or its exception.</param>
    /// <param name="reservedCents">What was reserved for it.</param>
    public BudgetSettleArguments(ResilienceContext context, Outcome<TResult> outcome, long reservedCents)
    {
        Context = context;
        Outcome = outcome;
        ReservedCents = reservedCents;
    }

    /// <summary>The execution's context.</summary>
    public ResilienceContext Context { get; }

    /// <summary>The attempt's outcome: its result or its exception.</summary>
    public Outcome<TResult> Outcome { get; }

    /// <summary>What was reserved for the attempt.</summary>
    public long ReservedCents { get; }
}
