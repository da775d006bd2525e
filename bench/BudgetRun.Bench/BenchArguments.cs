using System.Globalization;

namespace BudgetRun.Bench;

/// <summary>A verb followed by <c>--name value</c> pairs; every value is required unless a default is given.</summary>
internal sealed class BenchArguments
{
    private readonly Dictionary<string, string> _values;

    private BenchArguments(string verb, Dictionary<string, string> values)
    {
        Verb = verb;
        _values = values;
    }

    public string Verb { get; }

    public static BenchArguments Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0)
        {
            throw new BenchException("usage: budget-run-bench kill-switch|reserve|report [--option value ...]");
        }
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Count; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                throw new BenchException($"expected '--option value' at '{args[i]}'");
            }
            values[args[i][2..]] = args[i + 1];
        }
        return new BenchArguments(args[0], values);
    }

    public string Text(string name, string? fallback = null) =>
        _values.TryGetValue(name, out var value) ? value : fallback ?? throw new BenchException($"--{name} is required");

    public int Count(string name, int fallback)
    {
        if (!_values.TryGetValue(name, out var value))
        {
            return fallback;
        }
        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0
            ? count
            : throw new BenchException($"--{name} must be a whole number > 0, not '{value}'");
    }
}
