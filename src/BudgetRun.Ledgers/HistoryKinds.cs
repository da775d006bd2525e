namespace BudgetRun.Ledgers;

/// <summary>The names of <see cref="HistoryKind"/> as the history writes them (JSON, CSV, the Redis stream).</summary>
internal static class HistoryKinds
{
    private static readonly string[] _names = ["reserve", "settle", "release", "expire", "spend", "kill", "resume", "terms"];

    public static string Name(HistoryKind kind) => _names[(int)kind];

    public static bool TryParse(string? name, out HistoryKind kind)
    {
        var at = Array.IndexOf(_names, name);
        kind = at < 0 ? default : (HistoryKind)at;
        return at >= 0;
    }
}
