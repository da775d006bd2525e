using System.Diagnostics.CodeAnalysis;
using BudgetRun.Client;

namespace Polly;

/// <summary>Adds the budget strategy to a Polly v8 pipeline.</summary>
public static class BudgetResiliencePipelineBuilderExtensions
{
    /// <summary>
    /// Adds the budget strategy: every execution that reaches it reserves
    /// <see cref="BudgetStrategyOptions{TResult}.ReserveCents"/> from the sidecar before it runs
    /// and settles after, with <see cref="BudgetStrategyOptions{TResult}.SettleCents"/>. Add it
    /// after (inside) a retry, so each retry is reserved and a retry storm is bounded in cents; the
    /// retry must not handle <see cref="BudgetRunException"/> (its default handles every exception):
    /// a refusal should end the execution, not be retried.
    /// </summary>
    /// <typeparam name="TResult">The result of the pipeline.</typeparam>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="options">The strategy's options, validated here.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid (no client, cents out of range).</exception>
    [UnconditionalSuppressMessage("Trimming", "IL2026:Members annotated with 'RequiresUnreferencedCodeAttribute' require dynamic access otherwise can break functionality when trimming application code",
        Justification = "The options' members are preserved: TResult carries DynamicallyAccessedMembers.All, as in Polly's own strategies.")]
    public static ResiliencePipelineBuilder<TResult> AddBudget<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] TResult>(
        this ResiliencePipelineBuilder<TResult> builder, BudgetStrategyOptions<TResult> options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.AddStrategy(context => new BudgetResilienceStrategy<TResult>(options, context.Telemetry, context.TimeProvider), options);
    }

    /// <summary>
    /// Adds the budget strategy to a pipeline without a result type: see
    /// <see cref="AddBudget{TResult}(ResiliencePipelineBuilder{TResult}, BudgetStrategyOptions{TResult})"/>.
    /// </summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="options">The strategy's options, validated here.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid (no client, cents out of range).</exception>
    [UnconditionalSuppressMessage("Trimming", "IL2026:Members annotated with 'RequiresUnreferencedCodeAttribute' require dynamic access otherwise can break functionality when trimming application code",
        Justification = "BudgetStrategyOptions is referenced directly, so its members are preserved.")]
    public static ResiliencePipelineBuilder AddBudget(this ResiliencePipelineBuilder builder, BudgetStrategyOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        return builder.AddStrategy(context => new BudgetResilienceStrategy<object>(options, context.Telemetry, context.TimeProvider), options);
    }
}
