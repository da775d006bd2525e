using BudgetRun.Engine.Processes;

namespace BudgetRun.Cli.CommandLine;

/// <summary>
/// <c>budget-run statsu</c> would run a program named statsu: the run form takes the first word
/// that is not an option as the command. When that word is one edit (Damerau-Levenshtein: insert,
/// delete, substitute, transpose) from a subcommand and no such program exists, it was a typo.
/// A word that names a path, or a program on PATH, is a command as before.
/// </summary>
internal static class SubcommandTypo
{
    /// <summary>The subcommand <paramref name="word"/> was meant to be, or null when it is a command (or far from every subcommand).</summary>
    public static string? Suggest(string word, string? pathVariable)
    {
        if (word.Contains('/', StringComparison.Ordinal))
        {
            return null;
        }
        var meant = CliOptions.Subcommands.FirstOrDefault(name => Distance(word, name) == 1);
        if (meant is null)
        {
            return null;
        }
        try
        {
            CommandResolver.Resolve(word, pathVariable);
            return null; // a real program of that name runs
        }
        catch (ChildStartException ex) when (ex.Failure == StartFailure.NotFound)
        {
            return meant;
        }
        catch (ChildStartException)
        {
            return null; // it exists but cannot be executed: 126 says so
        }
    }

    /// <summary>The optimal-string-alignment distance: edits, with a swap of two neighbours as one.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }
}
