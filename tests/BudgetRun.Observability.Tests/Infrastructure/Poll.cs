using System.Diagnostics;
using Xunit.Sdk;

namespace BudgetRun.Observability.Tests.Infrastructure;

/// <summary>Polling with a limit: every wait in the suite ends, and says what it waited for and what it last saw.</summary>
internal static class Poll
{
    private static readonly TimeSpan _interval = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Calls <paramref name="probe"/> until it returns a value; a probe that throws (a server not up
    /// yet) counts as no value. Fails the test after <paramref name="limit"/> with
    /// <paramref name="what"/>, the last error and the <paramref name="story"/> (servers' output).
    /// </summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T?>> probe, TimeSpan limit, string what, Func<string>? story = null)
        where T : class
    {
        var clock = Stopwatch.StartNew();
        var last = "nothing yet";
        while (true)
        {
            try
            {
                if (await probe() is { } value)
                {
                    return value;
                }
                last = "no value";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or System.Text.Json.JsonException)
            {
                last = ex.Message;
            }
            if (clock.Elapsed > limit)
            {
                throw new XunitException($"timed out after {limit.TotalSeconds:0.#}s waiting for {what} (last: {last}){(story is null ? "" : "\n" + story())}");
            }
            await Task.Delay(_interval);
        }
    }

    /// <summary><see cref="UntilAsync{T}"/> for a yes/no condition.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, TimeSpan limit, string what, Func<string>? story = null) =>
        UntilAsync(async () => await condition() ? "" : null, limit, what, story);
}
