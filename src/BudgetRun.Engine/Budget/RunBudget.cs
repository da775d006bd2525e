namespace BudgetRun.Engine.Budget;

/// <summary>
/// Every spend decision of a run, in one place: an attempt starts only when its up-front cost is
/// reserved, a running attempt goes on only while its top-ups fit, an attempt is charged what the
/// cost model says when it ends, and spend reported from outside (<c>POST /cost</c>) ends the run
/// when nothing is left for another attempt; <c>--warn-at-percent</c>'s warning is told of every
/// change of the run's spend. Adapters (the control plane) report spend and map the
/// answer to their status codes; they never compare cents themselves.
/// </summary>
internal sealed class RunBudget(IBudgetLedger ledger, ICostModel cost, RunControl control, SpendWarning? warning = null)
{
    private long _chargedCents;
    private long _reportedCents;
    private int _running;

    /// <summary>What this run spent: what its attempts were charged plus the spend it reported (an account may hold more).</summary>
    public long RunSpentCents => Interlocked.Read(ref _chargedCents) + Interlocked.Read(ref _reportedCents);

    /// <summary>What one more attempt reserves before it starts.</summary>
    public long AttemptCents => cost.UpfrontCents;

    /// <summary>Whether an attempt holds a reservation now.</summary>
    public bool AttemptRunning => Volatile.Read(ref _running) > 0;

    /// <summary>Reserves the next attempt's up-front cost; null when it does not fit (or the kill switch refused it).</summary>
    /// <exception cref="LedgerUnavailableException">The ledger cannot be reached: no attempt may start.</exception>
    public async ValueTask<AttemptSpend?> ReserveAttemptAsync()
    {
        var reservation = await ledger.TryReserveAsync(cost.UpfrontCents, CancellationToken.None).ConfigureAwait(false);
        if (reservation is null)
        {
            return null;
        }
        Interlocked.Increment(ref _running);
        return new AttemptSpend(reservation);
    }

    /// <summary>The next top-up the running attempt needs, if any.</summary>
    public CostTopUp? NextTopUp(AttemptSpend spend, TimeSpan elapsed) => cost.NextTopUp(elapsed, spend.ReservedCents);

    /// <summary>Reserves a top-up; false when it does not fit or the ledger cannot be reached (fail closed: the attempt must stop).</summary>
    public async ValueTask<bool> TryTopUpAsync(AttemptSpend spend, CostTopUp topUp)
    {
        try
        {
            var reservation = await ledger.TryReserveAsync(topUp.Cents, CancellationToken.None).ConfigureAwait(false);
            if (reservation is null)
            {
                return false;
            }
            spend.Add(reservation);
            return true;
        }
        catch (LedgerUnavailableException)
        {
            return false;
        }
    }

    /// <summary>The cost model's meter rate; null when attempts are not metered.</summary>
    public MeterRate? Rate => cost.Rate;

    /// <summary>What the attempt cost, by the cost model, once it ended after running <paramref name="ran"/> and using <paramref name="usage"/>.</summary>
    public long ChargeFor(AttemptSpend spend, TimeSpan ran, AttemptUsage? usage = null) => cost.ChargeCents(ran, spend.ReservedCents, usage);

    /// <summary>
    /// Charges the attempt <paramref name="charge"/> and gives back what was reserved beyond it.
    /// Every reservation is finished even when one fails; the first failure is thrown after (the
    /// ledger keeps the failed ones and finishes them when it answers again).
    /// </summary>
    public async ValueTask SettleAsync(AttemptSpend spend, long charge)
    {
        Interlocked.Add(ref _chargedCents, charge);
        Interlocked.Decrement(ref _running);
        warning?.Observe(RunSpentCents);
        var left = charge;
        LedgerUnavailableException? failure = null;
        var reservations = spend.Reservations;
        for (var i = 0; i < reservations.Count; i++)
        {
            // Each reservation is replaced by its share, the last one by the rest: the account never
            // holds more than was reserved, even for a moment.
            var share = i == reservations.Count - 1 ? left : Math.Min(left, reservations[i].Cents);
            left -= share;
            try
            {
                await ledger.SettleAsync(reservations[i], share, CancellationToken.None).ConfigureAwait(false);
            }
            catch (LedgerUnavailableException ex)
            {
                failure ??= ex;
            }
        }
        if (failure is not null)
        {
            throw failure;
        }
    }

    /// <summary>Gives an attempt's reservations back: it never ran, nothing was spent.</summary>
    public async ValueTask ReleaseAsync(AttemptSpend spend)
    {
        Interlocked.Decrement(ref _running);
        LedgerUnavailableException? failure = null;
        foreach (var reservation in spend.Reservations)
        {
            try
            {
                await ledger.ReleaseAsync(reservation, CancellationToken.None).ConfigureAwait(false);
            }
            catch (LedgerUnavailableException ex)
            {
                failure ??= ex;
            }
        }
        if (failure is not null)
        {
            throw failure;
        }
    }

    /// <summary>Whether another attempt's up-front cost fits now; an unreachable ledger is left to the reservation, which fails closed.</summary>
    public async ValueTask<bool> NextAttemptFitsAsync()
    {
        try
        {
            return await ledger.FitsAsync(cost.UpfrontCents, CancellationToken.None).ConfigureAwait(false);
        }
        catch (LedgerUnavailableException)
        {
            return true;
        }
    }

    /// <summary>Why the next attempt cannot start, in the run's words.</summary>
    public async ValueTask<string> ExhaustedMessageAsync()
    {
        var budget = await ledger.SnapshotAsync(CancellationToken.None).ConfigureAwait(false);
        var scope = budget.Scope is { } level ? $" in {level}" : "";
        return $"budget exhausted: an attempt costs {cost.UpfrontCents} cents and {budget.RemainingCents} of {budget.BudgetCents} remain{scope}";
    }

    /// <summary>
    /// Records spend the child (or an operator) reported. Once the budget is spent the run is
    /// stopped (the running attempt too); when what is left cannot pay another attempt and none is
    /// running, the run ends rather than wait out a backoff for an attempt that cannot start.
    /// </summary>
    /// <exception cref="LedgerUnavailableException">The spend could not be recorded: nothing changed.</exception>
    public async ValueTask<SpendAnswer> ReportSpendAsync(long cents, CancellationToken cancellationToken)
    {
        var budget = await ledger.RecordSpendAsync(cents, cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _reportedCents, cents);
        warning?.Observe(RunSpentCents);
        if (budget.RemainingCents <= 0)
        {
            control.RequestStop(StopReason.BudgetExhausted,
                $"reported spend reached the limit: nothing remains of {budget.BudgetCents} cents"); // the run's last line says what was spent
            return new SpendAnswer(SpendVerdict.Exhausted, budget);
        }
        if (!AttemptRunning && budget.RemainingCents < cost.UpfrontCents)
        {
            control.RequestStop(StopReason.BudgetExhausted,
                $"reported spend left {budget.RemainingCents} cents, less than an attempt's {cost.UpfrontCents}");
            return new SpendAnswer(SpendVerdict.RecordedRunEnds, budget);
        }
        return new SpendAnswer(SpendVerdict.Recorded, budget);
    }

    /// <summary>Null while the run can go on; otherwise why it cannot (the kill switch, or a budget that cannot pay another attempt).</summary>
    /// <exception cref="LedgerUnavailableException">The budget cannot be read.</exception>
    public async ValueTask<string?> UnhealthyReasonAsync(CancellationToken cancellationToken)
    {
        switch (control.Reason)
        {
            case StopReason.KillSwitch:
                return "kill switch engaged";
            case StopReason.BudgetExhausted:
                return "budget exhausted";
        }
        if (AttemptRunning)
        {
            return null; // its reservation is already in the remaining figure; the attempt is paid for
        }
        var budget = await ledger.SnapshotAsync(cancellationToken).ConfigureAwait(false);
        return budget.RemainingCents < Math.Max(1, cost.UpfrontCents) ? "budget exhausted" : null;
    }

    /// <summary>The budget as it is now (a read: never waits on kept updates).</summary>
    public ValueTask<BudgetSnapshot> SnapshotAsync(CancellationToken cancellationToken) => ledger.SnapshotAsync(cancellationToken);

    /// <summary>Finishes what an outage left unfinished; returns how many updates are still unmade.</summary>
    public ValueTask<int> FinishUnfinishedAsync() => ledger.FinishUnfinishedAsync(CancellationToken.None);
}
