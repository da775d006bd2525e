using System.CommandLine;

namespace BudgetRun.Cli.CommandLine;

/// <summary>
/// Separates budget-run's own options from the command, like env, nice or timeout do: at "--", or
/// at the first word that is not an option, so that the command's own flags are never read as ours.
/// </summary>
internal static class ArgumentSplitter
{
    /// <param name="args">The whole command line.</param>
    /// <param name="root">budget-run's options (which of them take a value).</param>
    /// <param name="checkSwitches">Whether <c>--jitter=maybe</c> is a usage error here (it is, but for the pre-scan of <see cref="LogFormatScan"/>).</param>
    public static (string[] Options, string[] Command) Split(IReadOnlyList<string> args, Command root, bool checkSwitches = true)
    {
        var valueOptions = new HashSet<string>(StringComparer.Ordinal);
        var switches = new HashSet<string>(StringComparer.Ordinal);
        foreach (var option in root.Options)
        {
            var names = option.Aliases.Prepend(option.Name);
            if (option.ValueType == typeof(bool))
            {
                switches.UnionWith(names);
            }
            else if (option.Arity.MaximumNumberOfValues > 0)
            {
                valueOptions.UnionWith(names);
            }
        }

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                return (args.Take(i).ToArray(), args.Skip(i + 1).ToArray());
            }
            if (arg.Length > 1 && arg[0] == '-')
            {
                if (checkSwitches)
                {
                    CheckSwitchValue(arg, switches);
                }
                if (!arg.Contains('=', StringComparison.Ordinal) && CliOptions.OptionalValueWords.TryGetValue(arg, out var words))
                {
                    if (i + 1 < args.Count && words.Contains(args[i + 1], StringComparer.Ordinal))
                    {
                        i++; // `--jitter full`; after `--jitter ./job` the word is the command
                    }
                }
                else if (!arg.Contains('=', StringComparison.Ordinal) && valueOptions.Contains(arg))
                {
                    i++; // its value, whatever it looks like
                }
                continue; // unknown options stay with ours and are reported by the parser
            }
            if (i == 0 && root.Subcommands.Any(command => command.Name == arg))
            {
                return (args.ToArray(), []); // a subcommand parses the rest itself
            }
            return (args.Take(i).ToArray(), args.Skip(i).ToArray());
        }
        return (args.ToArray(), []);
    }

    /// <summary>
    /// <c>--require-account=maybe</c> or <c>--jitter=maybe</c>: the parser would only call "maybe" an
    /// unrecognised argument; the error names the flag and what it accepts.
    /// </summary>
    private static void CheckSwitchValue(string arg, HashSet<string> switches)
    {
        var equals = arg.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0)
        {
            return;
        }
        var value = arg[(equals + 1)..];
        if (CliOptions.OptionalValueWords.TryGetValue(arg[..equals], out var words))
        {
            // `--jitter=` would parse as plain `--jitter`: an empty value is a mistake, not a default.
            if (!words.Contains(value, StringComparer.Ordinal) && value is not ("true" or "false"))
            {
                throw CliOptions.OptionalValueError(arg[..equals], value);
            }
            return;
        }
        if (!switches.Contains(arg[..equals]))
        {
            return;
        }
        if (!bool.TryParse(value, out _) || value.Trim().Length != value.Length)
        {
            throw new UsageException($"{arg[..equals]}: '{value}' is not a valid value (use {arg[..equals]}, {arg[..equals]}=true or {arg[..equals]}=false)");
        }
    }
}
