namespace BudgetRun.Ledgers;

/// <summary>
/// What an account promises: at most <paramref name="LimitCents"/> in each <paramref name="Window"/>
/// (calendar windows carry their time zone). Stored with the account and the same for every run
/// that uses it: a run's own <c>--max-cost-cents</c> is only a cap inside it.
/// </summary>
internal sealed record AccountTerms(long LimitCents, BudgetWindow Window)
{
    public override string ToString() => $"{LimitCents} cents per window {Window.Describe()}";
}
