using System.Globalization;

namespace BudgetRun.Bench.Reporting;

/// <summary>"key TAB number" lines (rss.tsv, memory.tsv), grouped by key in file order.</summary>
internal static class RawTsv
{
    public static Dictionary<string, List<double>> Read(string path)
    {
        var groups = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0)
            {
                continue;
            }
            var fields = line.Split('\t');
            if (fields.Length != 2 || !double.TryParse(fields[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                throw new BenchException($"{Path.GetFileName(path)}: bad line '{line}'");
            }
            if (!groups.TryGetValue(fields[0], out var values))
            {
                groups[fields[0]] = values = [];
            }
            values.Add(value);
        }
        return groups;
    }

    /// <summary>The values of <paramref name="key"/>; a missing key is an error that names the file.</summary>
    public static List<double> Values(this Dictionary<string, List<double>> groups, string key, string file) =>
        groups.TryGetValue(key, out var values) ? values : throw new BenchException($"{file} has no '{key}' runs");
}
