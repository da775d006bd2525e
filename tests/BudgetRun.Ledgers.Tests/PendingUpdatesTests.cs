namespace BudgetRun.Ledgers.Tests;

/// <summary>The updates a ledger keeps through an outage: oldest first, bounded, and retries recognised.</summary>
public sealed class PendingUpdatesTests
{
    [Fact]
    public void Keep_IsOldestFirst_AndKeepingTheSameUpdateTwiceKeepsItOnce()
    {
        var pending = new PendingUpdates();
        var first = Settle("a");
        var second = Settle("b");

        pending.Keep(first);
        pending.Keep(second);
        pending.Keep(first);

        Assert.Equal(2, pending.Count);
        Assert.Same(first, pending.Oldest());
        pending.Done(first);
        Assert.Same(second, pending.Oldest());
    }

    [Fact]
    public void Keep_PastTheBound_DropsTheOldest()
    {
        var pending = new PendingUpdates();
        var updates = Enumerable.Range(0, PendingUpdates.MaxPending + 1).Select(i => Settle($"r{i}")).ToArray();

        foreach (var update in updates)
        {
            pending.Keep(update);
        }

        Assert.Equal(PendingUpdates.MaxPending, pending.Count);
        Assert.Same(updates[1], pending.Oldest());
        Assert.Null(pending.Find("r0"));
    }

    [Fact]
    public void Find_SeesWaitingAndRecentlyMadeSettles_ButNotCancellations()
    {
        var pending = new PendingUpdates();
        var waiting = Settle("waiting");
        var made = Settle("made");
        var cancelled = new PendingUpdate("cancelled", FinishKind.Cancel, 0, "n");
        pending.Keep(waiting);
        pending.Keep(made);
        pending.Keep(cancelled);

        pending.Done(made);
        pending.Done(cancelled);

        Assert.Same(waiting, pending.Find("waiting"));
        Assert.Same(made, pending.Find("made")); // a caller's retry reuses its nonce
        Assert.Null(pending.Find("cancelled"));
        Assert.Equal(1, pending.Count);
    }

    private static PendingUpdate Settle(string id) => new(id, FinishKind.Settle, 7, "nonce-" + id);
}
