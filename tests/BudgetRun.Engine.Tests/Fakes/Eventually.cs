using System.Diagnostics;

namespace BudgetRun.Engine.Tests.Fakes;

/// <summary>
/// Lets the supervisor's continuations run until a condition holds. Fake time never moves here;
/// the real-time limit only keeps a broken test from hanging the suite.
/// </summary>
internal static class Eventually
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);

    public static async Task HoldsAsync(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > Limit)
            {
                Assert.Fail($"still not true after {Limit.TotalSeconds}s of real time: {what}");
            }
            await Task.Yield();
        }
    }

    /// <summary>Gives queued continuations a chance to run, for checks that nothing happened.</summary>
    public static async Task SettleAsync()
    {
        for (var i = 0; i < 50; i++)
        {
            await Task.Yield();
        }
    }
}
