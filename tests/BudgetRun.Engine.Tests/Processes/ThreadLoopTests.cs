using BudgetRun.Engine.Processes;

namespace BudgetRun.Engine.Tests.Processes;

/// <summary>
/// The loop a thread runs while an async method awaits (<see cref="ThreadLoop"/>): each test has a
/// loop of its own, so the process's <see cref="ThreadLoop.Main"/> (and the other tests' children)
/// are not involved.
/// </summary>
public sealed class ThreadLoopTests
{
    [Fact]
    public void WhileTheTaskAwaits_PostsRunOnTheLoopsThread_InOrder_AndTheirContinuationsInline()
    {
        var loop = new ThreadLoop();
        var ran = new List<(int Item, int Thread)>();
        int loopThread = 0;

        var result = loop.Run(async () =>
        {
            loopThread = Environment.CurrentManagedThreadId;
            for (var i = 0; i < 20; i++)
            {
                var completion = new TaskCompletionSource<int>();
                var item = i;
                // Posted from another thread, as the reaper does, and completed by the post.
                _ = Task.Run(() => loop.Post(() =>
                {
                    ran.Add((item, Environment.CurrentManagedThreadId));
                    completion.SetResult(item);
                }));
                var got = await completion.Task.ConfigureAwait(false);
                // ConfigureAwait(false) and a plain completion: the continuation ran inside the post.
                Assert.Equal(loopThread, Environment.CurrentManagedThreadId);
                Assert.Equal(item, got);
            }
            return 42;
        });

        Assert.Equal(42, result);
        Assert.Equal(Environment.CurrentManagedThreadId, loopThread);
        Assert.Equal(Enumerable.Range(0, 20), ran.Select(r => r.Item));
        Assert.All(ran, r => Assert.Equal(loopThread, r.Thread));
    }

    [Fact]
    public void ATaskCompletedElsewhere_EndsTheLoop_AndItsExceptionIsThrownAsIs()
    {
        var loop = new ThreadLoop();

        var thrown = Assert.Throws<TimeoutException>(() => loop.Run<int>(async () =>
        {
            await Task.Delay(20).ConfigureAwait(false); // completed by a timer, on the pool
            throw new TimeoutException("from the task");
        }));

        Assert.Equal("from the task", thrown.Message);
    }

    [Fact]
    public void AMethodThatThrowsBeforeItsFirstAwait_LeavesNoLoopRunning()
    {
        var loop = new ThreadLoop();

        Assert.Throws<InvalidOperationException>(() => loop.Run<int>(() => throw new InvalidOperationException("sync")));

        // The loop is free again: a second run works, and posts outside a run go to the pool.
        Assert.Equal(1, loop.Run(() => Task.FromResult(1)));
        using var posted = new ManualResetEventSlim();
        var thread = 0;
        loop.Post(() =>
        {
            thread = Environment.CurrentManagedThreadId;
            posted.Set();
        });
        Assert.True(posted.Wait(TimeSpan.FromSeconds(10)));
        Assert.NotEqual(Environment.CurrentManagedThreadId, thread);
    }

    [Fact]
    public async Task WhatIsStillQueuedWhenTheTaskEnds_RunsOnThePool_NothingIsLost()
    {
        var loop = new ThreadLoop();
        var ranInline = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var mainThread = Environment.CurrentManagedThreadId;
        var insideRun = true; // read by the post only on this thread, where only this test writes it

        loop.Run(() =>
        {
            // Queued while the task is already complete: the loop sees the completion first.
            loop.Post(() => ranInline.SetResult(Environment.CurrentManagedThreadId == mainThread && insideRun));
            return Task.FromResult(0);
        });
        insideRun = false;

        // It ran, on a pool thread (which may later be this one: xunit runs tests on the pool), not in the loop.
        Assert.False(await ranInline.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void ALoopAlreadyRunning_RefusesASecondRun()
    {
        var loop = new ThreadLoop();

        var nested = loop.Run(async () =>
        {
            await Task.Yield();
            return Record.Exception(() => loop.Run(() => Task.FromResult(0)));
        });

        Assert.IsType<InvalidOperationException>(nested);
    }
}
