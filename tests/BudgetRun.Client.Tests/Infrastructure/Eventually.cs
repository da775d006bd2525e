using Xunit.Sdk;

namespace BudgetRun.Client.Tests.Infrastructure;

internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> every 50 ms until it is true; fails the test after <paramref name="limit"/>.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan limit, string what)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new XunitException($"timed out after {limit.TotalSeconds:0.#} s waiting for {what}");
            }
            await Task.Delay(50);
        }
    }
}
