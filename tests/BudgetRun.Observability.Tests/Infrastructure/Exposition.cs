using System.Globalization;
using System.Text;

namespace BudgetRun.Observability.Tests.Infrastructure;

/// <summary>
/// A parsed Prometheus text exposition (format 0.0.4): the metric families with their types, and
/// every sample with its labels. Enough of the format for budget-run's and the Pushgateway's output.
/// </summary>
internal sealed class Exposition
{
    private Exposition(IReadOnlyDictionary<string, string> types, IReadOnlyList<Sample> samples)
    {
        Types = types;
        Samples = samples;
    }

    /// <summary>Family name to type (counter, gauge, histogram, summary, untyped), from the # TYPE lines.</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public IReadOnlyList<Sample> Samples { get; }

    public static Exposition Parse(string text)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<Sample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                types[parts[2]] = parts[3];
            }
            else if (line.Length > 0 && line[0] != '#')
            {
                samples.Add(ParseSample(line));
            }
        }
        return new Exposition(types, samples);
    }

    /// <summary>The samples named <paramref name="name"/> whose labels include all of <paramref name="labels"/>.</summary>
    public IEnumerable<Sample> Find(string name, params (string Name, string Value)[] labels) =>
        Samples.Where(sample => sample.Name == name
            && labels.All(label => sample.Labels.TryGetValue(label.Name, out var value) && value == label.Value));

    /// <summary>The value of the one sample that matches; null when none or several do.</summary>
    public double? Value(string name, params (string Name, string Value)[] labels) =>
        Find(name, labels).ToList() is [var single] ? single.Value : null;

    private static Sample ParseSample(string line)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var nameEnd = line.IndexOfAny(['{', ' ']);
        var name = line[..nameEnd];
        var position = nameEnd;
        if (line[position] == '{')
        {
            position++;
            while (line[position] != '}')
            {
                var equals = line.IndexOf('=', position);
                var labelName = line[position..equals].Trim();
                position = equals + 2; // past ="
                var value = new StringBuilder();
                while (line[position] != '"')
                {
                    if (line[position] == '\\')
                    {
                        position++;
                        value.Append(line[position] == 'n' ? '\n' : line[position]);
                    }
                    else
                    {
                        value.Append(line[position]);
                    }
                    position++;
                }
                labels[labelName] = value.ToString();
                position++; // past the closing quote
                if (line[position] == ',')
                {
                    position++;
                }
            }
            position++; // past }
        }
        var fields = line[position..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new Sample(name, labels, ParseValue(fields[0]));
    }

    private static double ParseValue(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    internal sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);
}
