using System.CommandLine;

namespace BudgetRun.Cli.CommandLine;

/// <summary>
/// Separates budget-run's own options from the command, like env, nice or timeout do: at "--", or
/// at the first word that is not an option, so that the command's own flags are never read as ours.
/// </summary>
internal static class ArgumentSplitter
{
    public static (string[] Options, string[] Command) Split(IReadOnlyList<string> args, Command root)
    {
        var valueOptions = new HashSet<string>(StringComparer.Ordinal);
        foreach (var option in root.Options)
        {
            if (option.Arity.MaximumNumberOfValues > 0 && option.ValueType != typeof(bool))
            {
                valueOptions.Add(option.Name);
                foreach (var alias in option.Aliases)
                {
                    valueOptions.Add(alias);
                }
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
                if (!arg.Contains('=', StringComparison.Ordinal) && valueOptions.Contains(arg))
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
}
