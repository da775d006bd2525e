namespace BudgetRun.Cli.Tests.Ledgers;

/// <summary>
/// libfaketime (Debian's <c>faketime</c> package) preloaded into a real budget-run: its wall clock
/// (and its children's) is off by an offset (<c>+1d</c>) or starts at an instant
/// (<c>@2026-10-31 22:59:57</c>, UTC) and runs on from there; monotonic time stays true, so its
/// timers and timeouts do.
/// </summary>
internal static class FakeTime
{
    private const string Library = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

    public static Dictionary<string, string?> Environment(string faketime) => new()
    {
        ["LD_PRELOAD"] = File.Exists(Library) ? Library : throw new InvalidOperationException($"{Library} is missing: apt-get install faketime"),
        ["FAKETIME"] = faketime,
        ["FAKETIME_DONT_FAKE_MONOTONIC"] = "1",
        ["FAKETIME_DONT_RESET"] = "1",
        ["TZ"] = "UTC", // an instant is read in the process's zone
    };

    /// <summary>A clock that starts at <paramref name="instant"/> (UTC).</summary>
    public static Dictionary<string, string?> StartingAt(DateTimeOffset instant) =>
        Environment("@" + instant.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
}
