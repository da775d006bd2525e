using System.Globalization;
using System.Text;
using Xunit.Sdk;

namespace BudgetRun.Testing;

/// <summary>
/// A Prometheus text exposition (format 0.0.4) parsed strictly: every line is a comment, a
/// <c># HELP</c>/<c># TYPE</c> line or a sample, or the parse fails the test with the whole text.
/// </summary>
internal sealed class PrometheusText
{
    private PrometheusText(string text, Dictionary<string, string> types, List<PrometheusSample> samples)
    {
        Text = text;
        Types = types;
        Samples = samples;
    }

    public string Text { get; }

    /// <summary>Metric family name to its <c># TYPE</c> (counter, gauge, histogram...).</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public IReadOnlyList<PrometheusSample> Samples { get; }

    public static PrometheusText Parse(string text)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<PrometheusSample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line["# TYPE ".Length..].Split(' ');
                if (parts.Length != 2 || !types.TryAdd(parts[0], parts[1]))
                {
                    throw Fail(text, $"bad or repeated TYPE line: {line}");
                }
                continue;
            }
            if (line.StartsWith('#'))
            {
                continue; // HELP and other comments
            }
            try
            {
                samples.Add(ParseSample(text, line));
            }
            catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                throw Fail(text, $"truncated sample line: {line}");
            }
        }
        return new PrometheusText(text, types, samples);
    }

    /// <summary>
    /// The value of the one sample named <paramref name="name"/> whose labels include all of
    /// <paramref name="labels"/> ("key=value"); fails unless exactly one matches.
    /// </summary>
    public double Value(string name, params string[] labels)
    {
        var wanted = labels.Select(label => label.Split('=', 2)).ToArray();
        var matches = Samples
            .Where(sample => sample.Name == name
                && wanted.All(pair => sample.Labels.TryGetValue(pair[0], out var value) && value == pair[1]))
            .ToList();
        return matches.Count == 1
            ? matches[0].Value
            : throw Fail(Text, $"expected one sample {name}{{{string.Join(',', labels)}}}, found {matches.Count}");
    }

    private static PrometheusSample ParseSample(string text, string line)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        while (i < line.Length && line[i] is not ('{' or ' '))
        {
            i++;
        }
        var name = line[..i];
        if (name.Length == 0)
        {
            throw Fail(text, $"sample without a name: {line}");
        }
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var equals = line.IndexOf('=', i);
                if (equals < 0 || line[equals + 1] != '"')
                {
                    throw Fail(text, $"bad label in: {line}");
                }
                var key = line[i..equals];
                var value = new StringBuilder();
                i = equals + 2;
                while (line[i] != '"')
                {
                    if (line[i] == '\\')
                    {
                        i++;
                        value.Append(line[i] switch { 'n' => '\n', var c => c });
                    }
                    else
                    {
                        value.Append(line[i]);
                    }
                    i++;
                }
                i++;
                if (!labels.TryAdd(key, value.ToString()))
                {
                    throw Fail(text, $"repeated label {key} in: {line}");
                }
                if (line[i] == ',')
                {
                    i++;
                }
            }
            i++;
        }
        var rest = line[i..].Trim().Split(' ');
        if (rest.Length is < 1 or > 2 || !TryParseValue(rest[0], out var number))
        {
            throw Fail(text, $"bad sample value in: {line}");
        }
        return new PrometheusSample(name, labels, number);
    }

    private static bool TryParseValue(string text, out double value)
    {
        switch (text)
        {
            case "+Inf":
                value = double.PositiveInfinity;
                return true;
            case "-Inf":
                value = double.NegativeInfinity;
                return true;
            case "NaN":
                value = double.NaN;
                return true;
            default:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
    }

    private static XunitException Fail(string text, string what) => new($"/metrics: {what}\n--- exposition ---\n{text}");
}
