using BudgetRun.Engine.Budget;

namespace BudgetRun.Engine.Tests.Budget;

/// <summary>A run's cap inside a shared account: both must hold, and the tighter one speaks.</summary>
public sealed class CappedBudgetLedgerTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Reserve_StopsAtTheRunsCap_WhenTheAccountHasMore()
    {
        var account = new InMemoryBudgetLedger(1000);
        var run = new CappedBudgetLedger(account, 50);

        Assert.NotNull(await run.TryReserveAsync(30, None));
        Assert.Null(await run.TryReserveAsync(30, None));
        Assert.False(await run.FitsAsync(30, None));

        Assert.Equal(new BudgetSnapshot(1000, 0, 30), await account.SnapshotAsync(None)); // the refused one reserved nothing
        Assert.Equal(new BudgetSnapshot(50, 0, 30), await run.SnapshotAsync(None));
    }

    [Fact]
    public async Task Reserve_StopsAtTheAccount_WhenTheRunsCapHasMore_AndGivesTheCapBack()
    {
        var account = new InMemoryBudgetLedger(50);
        var run = new CappedBudgetLedger(account, 200);

        var first = await run.TryReserveAsync(30, None);
        Assert.NotNull(first);
        Assert.Null(await run.TryReserveAsync(30, None));
        await run.SettleAsync(first, 30, None);

        Assert.Equal(new BudgetSnapshot(50, 30, 0), await run.SnapshotAsync(None));
        Assert.NotNull(await run.TryReserveAsync(20, None)); // the cap was not charged for the refusal
    }

    [Fact]
    public async Task Release_AndReportedSpend_ReachBoth()
    {
        var account = new InMemoryBudgetLedger(100);
        var run = new CappedBudgetLedger(account, 60);
        var reserved = await run.TryReserveAsync(40, None);

        await run.ReleaseAsync(reserved!, None);
        var after = await run.RecordSpendAsync(45, None);

        Assert.Equal(new BudgetSnapshot(60, 45, 0), after);
        Assert.Equal(new BudgetSnapshot(100, 45, 0), await account.SnapshotAsync(None));
        Assert.Null(await run.TryReserveAsync(20, None));
    }

    [Fact]
    public async Task AnUnreachableAccount_ReservesNothingInTheCap()
    {
        var account = new Fakes.UnreachableLedger(100) { Fails = _ => true };
        var run = new CappedBudgetLedger(account, 60);

        await Assert.ThrowsAsync<LedgerUnavailableException>(async () => await run.TryReserveAsync(60, None));

        account.Fails = _ => false;
        Assert.NotNull(await run.TryReserveAsync(60, None)); // the whole cap is still there
    }
}
