using BudgetRun.Engine.Budget;

namespace BudgetRun.Engine.Tests.Budget;

public sealed class InMemoryBudgetLedgerTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task TryReserve_WhenTheCostFitsExactly_Succeeds()
    {
        var ledger = new InMemoryBudgetLedger(60);

        Assert.NotNull(await ledger.TryReserveAsync(30, None));
        Assert.NotNull(await ledger.TryReserveAsync(30, None));

        var budget = await ledger.SnapshotAsync(None);
        Assert.Equal(60, budget.ReservedCents);
        Assert.Equal(0, budget.RemainingCents);
    }

    [Fact]
    public async Task TryReserve_WhenOneCentOver_ReturnsNullAndReservesNothing()
    {
        var ledger = new InMemoryBudgetLedger(59);
        Assert.NotNull(await ledger.TryReserveAsync(30, None));

        Assert.Null(await ledger.TryReserveAsync(30, None));

        Assert.Equal(30, (await ledger.SnapshotAsync(None)).ReservedCents);
        Assert.NotNull(await ledger.TryReserveAsync(29, None));
    }

    [Fact]
    public async Task TryReserve_OfZeroWithAZeroBudget_Succeeds()
    {
        var ledger = new InMemoryBudgetLedger(0);

        Assert.True(await ledger.FitsAsync(0, None));
        Assert.NotNull(await ledger.TryReserveAsync(0, None));
        Assert.False(await ledger.FitsAsync(1, None));
        Assert.Null(await ledger.TryReserveAsync(1, None));
    }

    [Fact]
    public async Task TryReserve_OfANegativeAmount_Throws()
    {
        var ledger = new InMemoryBudgetLedger(10);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ledger.TryReserveAsync(-1, None).AsTask());
    }

    [Fact]
    public async Task Settle_TurnsTheReservationIntoSpend()
    {
        var ledger = new InMemoryBudgetLedger(100);
        var reservation = await ledger.TryReserveAsync(30, None);

        await ledger.SettleAsync(reservation!, 30, None);

        Assert.Equal(new BudgetSnapshot(100, 30, 0), await ledger.SnapshotAsync(None));
        Assert.Equal(70, (await ledger.SnapshotAsync(None)).RemainingCents);
    }

    [Fact]
    public async Task Release_GivesTheReservationBackUnspent()
    {
        var ledger = new InMemoryBudgetLedger(30);
        var reservation = await ledger.TryReserveAsync(30, None);

        await ledger.ReleaseAsync(reservation!, None);

        Assert.Equal(new BudgetSnapshot(30, 0, 0), await ledger.SnapshotAsync(None));
        Assert.NotNull(await ledger.TryReserveAsync(30, None));
    }

    [Fact]
    public async Task Fits_CountsReservationsAndSpend()
    {
        var ledger = new InMemoryBudgetLedger(60);
        var first = await ledger.TryReserveAsync(30, None);
        await ledger.SettleAsync(first!, 30, None);
        _ = await ledger.TryReserveAsync(20, None);

        Assert.True(await ledger.FitsAsync(10, None));
        Assert.False(await ledger.FitsAsync(11, None));
    }

    [Fact]
    public async Task RecordSpend_BeyondTheBudget_LeavesNothingRemaining()
    {
        var ledger = new InMemoryBudgetLedger(50);

        var budget = await ledger.RecordSpendAsync(80, None);

        Assert.Equal(80, budget.SpentCents);
        Assert.Equal(0, budget.RemainingCents);
        Assert.Null(await ledger.TryReserveAsync(1, None));
    }

    [Fact]
    public async Task TryReserve_FromManyThreadsAtOnce_NeverExceedsTheBudget()
    {
        const long Budget = 1_000;
        var ledger = new InMemoryBudgetLedger(Budget);
        var granted = 0L;

        Parallel.For(0, 5_000, new ParallelOptions { MaxDegreeOfParallelism = 16 }, i =>
        {
            var cents = 1 + (i % 3);
            if (ledger.TryReserveAsync(cents, None).AsTask().GetAwaiter().GetResult() is { } reservation)
            {
                Interlocked.Add(ref granted, reservation.Cents);
            }
        });

        var budget = await ledger.SnapshotAsync(None);
        Assert.Equal(granted, budget.ReservedCents);
        Assert.InRange(granted, Budget - 2, Budget);
    }

    [Fact]
    public async Task ReserveAndSettle_FromManyThreadsAtOnce_NeverOverspends()
    {
        const long Budget = 3_000;
        var ledger = new InMemoryBudgetLedger(Budget);
        var started = 0;

        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 500; i++)
            {
                if (await ledger.TryReserveAsync(7, None) is { } reservation)
                {
                    Interlocked.Increment(ref started);
                    await ledger.SettleAsync(reservation, reservation.Cents, None);
                }
            }
        })));

        var budget = await ledger.SnapshotAsync(None);
        Assert.Equal(0, budget.ReservedCents);
        Assert.Equal(started * 7L, budget.SpentCents);
        Assert.Equal(Budget / 7, started);
    }
}
