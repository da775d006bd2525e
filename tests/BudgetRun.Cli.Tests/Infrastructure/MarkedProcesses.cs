using System.Globalization;

namespace BudgetRun.Cli.Tests.Infrastructure;

/// <summary>Processes a test tells apart by a number in their command line (sleep 1000.MARKER), wherever they were reparented to.</summary>
internal static class MarkedProcesses
{
    /// <summary>A number no other process on the machine has in its command line.</summary>
    public static string NewMarker() => Random.Shared.NextInt64(100_000_000, 999_999_999).ToString(CultureInfo.InvariantCulture);

    /// <summary>Live processes whose command line holds <paramref name="marker"/>.</summary>
    public static List<int> Alive(string marker)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && Posix.IsAlive(pid) && Posix.CommandLine(pid).Contains(marker, StringComparison.Ordinal))
            {
                found.Add(pid);
            }
        }
        return found;
    }
}
