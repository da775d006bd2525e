namespace BudgetRun.Ledgers;

/// <summary>
/// The levels of a hierarchical budget key: <c>acme/support/nightly</c> is charged to <c>acme</c>,
/// <c>acme/support</c> and itself. A level takes part in a reservation when it has terms (a limit);
/// the others are only names on the way down.
/// </summary>
internal static class AccountPath
{
    /// <summary>The separator of a key's levels.</summary>
    public const char Separator = '/';

    /// <summary>
    /// The deepest key: every level is read and written by each reservation (so depth is latency),
    /// and each level with terms is one <c>budget_key</c> series of the metrics (so depth is
    /// cardinality). Org, team, project, key and a few more fit.
    /// </summary>
    public const int MaxLevels = 8;

    /// <summary>Every level of <paramref name="key"/>, the root first and the key itself last.</summary>
    public static IReadOnlyList<string> Levels(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var levels = new List<string>();
        for (var at = key.IndexOf(Separator, StringComparison.Ordinal); at >= 0; at = key.IndexOf(Separator, at + 1))
        {
            if (at > 0 && key[at - 1] != Separator)
            {
                levels.Add(key[..at]);
            }
        }
        levels.Add(key);
        return levels;
    }

    /// <summary>The first level: in Redis, every key of the tree shares its hash tag, so one script can touch them all.</summary>
    public static string Root(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var at = key.IndexOf(Separator, StringComparison.Ordinal);
        return at > 0 ? key[..at] : key;
    }
}
