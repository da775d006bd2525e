using StackExchange.Redis;

namespace BudgetRun.Ledgers.Redis;

/// <summary>
/// The keys a script needs to finish, expire or count a reservation that it learned of only on the
/// server (an open set's overdue member, a reservation settled by id): the reservation's own key and,
/// for every level it holds cents on, that level's bucket, open set and history. They are read from
/// the reservation's <c>lv</c> (written once, when it is made, so a read ahead of the script stays
/// true), or from a previous release's <c>bucket</c> on the level whose open set holds it.
/// </summary>
internal static class RedisHoldings
{
    /// <summary>How often a script may answer "declare these keys" before the operation fails closed.</summary>
    public const int MaxRounds = 20;

    private static readonly RedisValue[] _fields = ["lv", "bucket"];

    /// <summary>The keys a reservation made now holds: per level with a bucket, its bucket, open set and history.</summary>
    public static RedisKey[] Of(IEnumerable<(string Prefix, string Bucket)> levels) =>
        [.. levels.SelectMany(level => new RedisKey[] { level.Prefix + ":b:" + level.Bucket, level.Prefix + ":open", level.Prefix + ":h" })];

    /// <summary>
    /// Reads the reservations a script asked for (pairs of reservation key and the open set it was found
    /// in, from <paramref name="items"/> at <paramref name="at"/>), all in one round trip.
    /// </summary>
    public static async Task<IReadOnlyList<RedisKey>> ReadAsync(IDatabaseAsync database, RedisResult[] items, int at)
    {
        var asked = new List<(string Reservation, string Open)>();
        for (var i = at; i + 1 < items.Length; i += 2)
        {
            asked.Add(((string)items[i]!, (string)items[i + 1]!));
        }
        return await ReadAsync(database, asked).ConfigureAwait(false);
    }

    /// <summary>Reads each reservation's levels, all in one round trip (the commands are pipelined).</summary>
    public static async Task<IReadOnlyList<RedisKey>> ReadAsync(IDatabaseAsync database, IReadOnlyList<(string Reservation, string Open)> asked)
    {
        var reads = asked.Select(item => database.HashGetAsync(item.Reservation, _fields)).ToArray();
        var values = await Task.WhenAll(reads).ConfigureAwait(false);
        var keys = new List<RedisKey>();
        for (var i = 0; i < asked.Count; i++)
        {
            var (reservation, open) = asked[i];
            keys.Add(reservation);
            if (!values[i][0].IsNullOrEmpty)
            {
                var parts = ((string)values[i][0]!).Split('\t', StringSplitOptions.RemoveEmptyEntries);
                for (var j = 0; j + 1 < parts.Length; j += 2)
                {
                    keys.AddRange(Level(parts[j], parts[j + 1]));
                }
            }
            else if (!values[i][1].IsNull)
            {
                keys.AddRange(Level(PrefixOf(open) + ":b:" + (string)values[i][1]!, open));
            }
        }
        return keys;
    }

    /// <summary>A reservation the script still could not finish after <see cref="MaxRounds"/> reads: say so and fail closed.</summary>
    public static RedisException TooManyRounds(string what) =>
        new($"the ledger kept naming more reservations to read for {what} ({MaxRounds} rounds): it changes faster than it can be read");

    private static RedisKey[] Level(string bucket, string open) => [bucket, open, PrefixOf(open) + ":h"];

    private static string PrefixOf(string open) => open[..^":open".Length];
}
