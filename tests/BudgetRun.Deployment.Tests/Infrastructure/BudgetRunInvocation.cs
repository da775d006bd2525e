namespace BudgetRun.Deployment.Tests.Infrastructure;

/// <summary>
/// budget-run's command line in a container: the program path, the subcommand if any, the options
/// before the child command and the child command. Read with budget-run's own rule: the command
/// starts after <c>--</c> or at the first word that is not an option.
/// </summary>
internal sealed class BudgetRunInvocation
{
    private BudgetRunInvocation(Container container, string program, string? subcommand, IReadOnlyList<string> options)
    {
        Container = container;
        Program = program;
        Subcommand = subcommand;
        RawOptions = options;
    }

    public Container Container { get; }

    /// <summary>argv[0]: "budget-run" or a path to it.</summary>
    public string Program { get; }

    public string? Subcommand { get; }

    /// <summary>The words between the program (or subcommand) and the child command.</summary>
    public IReadOnlyList<string> RawOptions { get; private set; }

    public IReadOnlyList<GivenOption> Options { get; private set; } = [];

    public IReadOnlyList<string> ChildCommand { get; private set; } = [];

    /// <summary>The value of the last occurrence of an option, or null.</summary>
    public string? Value(string name) => Options.LastOrDefault(option => option.Name == name)?.Value;

    public bool Has(string name) => Options.Any(option => option.Name == name);

    /// <summary>
    /// The budget-run invocation of a container, or null when it does not run budget-run: its
    /// command starts with a budget-run executable, or it has no command and its image is a
    /// budget-run image (whose ENTRYPOINT is budget-run).
    /// </summary>
    public static BudgetRunInvocation? Of(Container container)
    {
        IReadOnlyList<string> argv;
        if (container.Command.Count > 0)
        {
            argv = [.. container.Command, .. container.Args];
        }
        else if (IsBudgetRunImage(container.Image))
        {
            argv = ["budget-run", .. container.Args];
        }
        else
        {
            return null;
        }
        if (Path.GetFileName(argv[0]) != "budget-run")
        {
            return null;
        }
        var rest = argv.Skip(1).ToList();
        string? subcommand = null;
        if (rest.Count > 0 && !rest[0].StartsWith('-'))
        {
            subcommand = rest[0];
            rest.RemoveAt(0);
        }
        return new BudgetRunInvocation(container, argv[0], subcommand, rest);
    }

    /// <summary>
    /// Splits the words into options and the child command, using the help of the binary for which
    /// options take a value. Returns the words that are not known options (problems to report).
    /// </summary>
    public IReadOnlyList<string> Resolve(Func<string, HelpOption?> lookup)
    {
        var options = new List<GivenOption>();
        var unknown = new List<string>();
        var words = RawOptions;
        var index = 0;
        while (index < words.Count)
        {
            var word = words[index];
            if (word == "--")
            {
                index++;
                break;
            }
            if (!word.StartsWith('-'))
            {
                break;
            }
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            var name = equals > 0 ? word[..equals] : word;
            var option = lookup(name);
            if (option is null)
            {
                unknown.Add(name);
                index++;
                continue;
            }
            string? value = null;
            if (equals > 0)
            {
                value = word[(equals + 1)..];
            }
            else if (option.Placeholder is not null)
            {
                if (index + 1 >= words.Count || words[index + 1] == "--")
                {
                    unknown.Add($"{name} (its value <{option.Placeholder}> is missing)");
                }
                else
                {
                    value = words[++index];
                }
            }
            options.Add(new GivenOption(name, value));
            index++;
        }
        Options = options;
        ChildCommand = words.Skip(index).ToList();
        return unknown;
    }

    /// <summary>Every budget-run invocation in the examples.</summary>
    public static IReadOnlyList<BudgetRunInvocation> InExamples() =>
        Examples.Containers.Select(Of).OfType<BudgetRunInvocation>().ToList();

    private static bool IsBudgetRunImage(string? image)
    {
        if (string.IsNullOrEmpty(image))
        {
            return false;
        }
        var withoutTag = image.Split('@')[0];
        var lastSlash = withoutTag.LastIndexOf('/');
        var repository = withoutTag[(lastSlash + 1)..].Split(':')[0];
        return repository == "budget-run";
    }

    public override string ToString() => $"{Container}: {Program} {Subcommand} {string.Join(' ', RawOptions)}".Replace("  ", " ", StringComparison.Ordinal);
}
