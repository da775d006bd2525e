using System.Text.RegularExpressions;

namespace BudgetRun.Deployment.Tests.Infrastructure;

/// <summary>
/// What the built budget-run says it accepts: the options of its --help (and of each subcommand's
/// --help), parsed from the text System.CommandLine prints.
/// </summary>
internal sealed partial class BudgetRunHelp
{
    private static readonly SemaphoreSlim _gate = new(1, 1);
    private static readonly Dictionary<string, BudgetRunHelp> _cache = new(StringComparer.Ordinal);

    private BudgetRunHelp(string? subcommand, IReadOnlyList<HelpOption> options, IReadOnlySet<string> subcommands, string text)
    {
        Subcommand = subcommand;
        Options = options;
        Subcommands = subcommands;
        Text = text;
    }

    public string? Subcommand { get; }

    public IReadOnlyList<HelpOption> Options { get; }

    public IReadOnlySet<string> Subcommands { get; }

    public string Text { get; }

    public HelpOption? Find(string name) => Options.FirstOrDefault(option => option.Names.Contains(name, StringComparer.Ordinal));

    /// <summary>The help of budget-run (subcommand null) or of one of its subcommands, run once and cached.</summary>
    public static async Task<BudgetRunHelp> OfAsync(string? subcommand)
    {
        await _gate.WaitAsync();
        try
        {
            var key = subcommand ?? "";
            if (!_cache.TryGetValue(key, out var help))
            {
                string[] args = subcommand is null ? ["--help"] : [subcommand, "--help"];
                var output = await BudgetRunProcess.RunAsync(args, new RunSettings { Timeout = TimeSpan.FromSeconds(60) });
                if (output.ExitCode != 0)
                {
                    throw new InvalidOperationException($"budget-run {string.Join(' ', args)} failed: {output}");
                }
                help = Parse(subcommand, output.StdoutText);
                _cache[key] = help;
            }
            return help;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Reads the "Options:" and "Commands:" sections of System.CommandLine's help text.</summary>
    public static BudgetRunHelp Parse(string? subcommand, string text)
    {
        var options = new List<HelpOption>();
        var subcommands = new HashSet<string>(StringComparer.Ordinal);
        string? section = null;
        foreach (var line in text.Split('\n'))
        {
            if (line.Length > 0 && !char.IsWhiteSpace(line[0]))
            {
                section = line.TrimEnd().TrimEnd(':');
                continue;
            }
            if (section == "Options" && OptionLine().Match(line) is { Success: true } option)
            {
                var names = option.Groups["names"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                var placeholder = option.Groups["placeholder"].Success ? option.Groups["placeholder"].Value : null;
                options.Add(new HelpOption(names, placeholder));
            }
            else if (section == "Commands" && CommandLine().Match(line) is { Success: true } command)
            {
                subcommands.Add(command.Groups["name"].Value);
            }
        }
        if (options.Count == 0)
        {
            throw new InvalidDataException($"no options found in budget-run's help:\n{text}");
        }
        return new BudgetRunHelp(subcommand, options, subcommands, text);
    }

    // "  --max-attempts <N>   Attempts in all ..." and "  -?, -h, --help   Show help ..."
    [GeneratedRegex(@"^\s+(?<names>-{1,2}[^\s,]+(?:,\s+-{1,2}[^\s,]+)*)(?:\s+<(?<placeholder>[^>]+)>)?(?:\s|$)")]
    private static partial Regex OptionLine();

    // "  serve   Run no child: ..."
    [GeneratedRegex(@"^\s+(?<name>[a-z][a-z0-9-]*)(?:\s|$)")]
    private static partial Regex CommandLine();
}
