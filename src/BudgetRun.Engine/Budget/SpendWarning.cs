namespace BudgetRun.Engine.Budget;

/// <summary>
/// <c>--warn-at-percent</c>: tells once per run, the first time the run's committed spend (what its
/// attempts were charged plus the spend it reported; not reservations, which may be given back)
/// reaches <c>P</c>% of its budget. A budget of 0 has nothing to warn of.
/// </summary>
internal sealed class SpendWarning(int percent, long budgetCents, Action<long> crossed)
{
    private int _fired;

    /// <summary>The percentage of the budget that is warned of.</summary>
    public int Percent => percent;

    /// <summary>Whether the warning has been given.</summary>
    public bool Fired => Volatile.Read(ref _fired) != 0;

    /// <summary>Calls back, once, when <paramref name="spentCents"/> has reached the threshold.</summary>
    public void Observe(long spentCents)
    {
        // Compared in 128 bits: budgets and spend go up to Limits.MaxFlagCents.
        if (budgetCents > 0 && (Int128)spentCents * 100 >= (Int128)budgetCents * percent && Interlocked.Exchange(ref _fired, 1) == 0)
        {
            crossed(spentCents);
        }
    }
}
