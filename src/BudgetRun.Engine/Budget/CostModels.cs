namespace BudgetRun.Engine.Budget;

/// <summary>The cost model a run's options ask for: a fixed price per attempt, or metered by wall time on top of it.</summary>
internal static class CostModels
{
    public static ICostModel For(SupervisorOptions options) =>
        options.CostPerCpuSecondCents > 0 ? new CpuMeteredCost(options.CostPerAttemptCents, options.CostPerCpuSecondCents, options.MeterSlice, options.MeterCpus)
        : options.CostPerMinuteCents > 0 ? new MeteredCost(options.CostPerAttemptCents, options.CostPerMinuteCents, options.MeterSlice)
        : new PerAttemptCost(options.CostPerAttemptCents);
}
