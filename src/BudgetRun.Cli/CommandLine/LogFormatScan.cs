using System.CommandLine;

namespace BudgetRun.Cli.CommandLine;

/// <summary>
/// <c>--log-format</c> read before the command line is parsed: a usage error in any other flag
/// (or in the parse itself) must already come out in the format asked for. Only budget-run's own
/// words are read (up to <c>--</c> or the command), so a command's <c>--log-format</c> is its own.
/// A value other than text or json counts as text here; the parse reports it.
/// </summary>
internal static class LogFormatScan
{
    private const string Flag = "--log-format";

    public static LogFormat Of(IReadOnlyList<string> args, Command root)
    {
        var ours = ArgumentSplitter.Split(args, root, checkSwitches: false).Options;
        string? value = null;
        for (var i = 0; i < ours.Length; i++)
        {
            if (ours[i] == Flag && i + 1 < ours.Length)
            {
                value = ours[++i];
            }
            else if (ours[i].Length > Flag.Length && ours[i].StartsWith(Flag, StringComparison.Ordinal) && ours[i][Flag.Length] is '=' or ':')
            {
                value = ours[i][(Flag.Length + 1)..];
            }
        }
        return value == "json" ? LogFormat.Json : LogFormat.Text;
    }
}
