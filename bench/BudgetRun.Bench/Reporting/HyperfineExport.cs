using System.Text.Json;

namespace BudgetRun.Bench.Reporting;

/// <summary>
/// The wall times of each command (by its -n name) pooled over several hyperfine --export-json
/// files: run.sh measures in rounds so that a load swing on a shared machine falls on every
/// command rather than on whichever hyperfine happened to be running.
/// </summary>
internal sealed class HyperfineExport
{
    private readonly Dictionary<string, List<double>> _times;

    private HyperfineExport(Dictionary<string, List<double>> times) => _times = times;

    /// <summary>Reads every file of <paramref name="directory"/> named <paramref name="prefix"/>-*.json.</summary>
    public static HyperfineExport Read(string directory, string prefix)
    {
        var files = Directory.GetFiles(directory, $"{prefix}-*.json");
        if (files.Length == 0)
        {
            throw new BenchException($"no {prefix}-*.json in {directory}");
        }
        var times = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var result in document.RootElement.GetProperty("results").EnumerateArray())
            {
                var name = result.GetProperty("command").GetString() ?? "";
                if (!times.TryGetValue(name, out var list))
                {
                    times[name] = list = [];
                }
                list.AddRange(result.GetProperty("times").EnumerateArray().Select(time => time.GetDouble()));
            }
        }
        return new HyperfineExport(times);
    }

    public bool Has(string command) => _times.ContainsKey(command);

    public double MeanSeconds(string command) => Get(command).Average();

    public double MeanMs(string command) => MeanSeconds(command) * 1000;

    public int Runs(string command) => Get(command).Count;

    private List<double> Get(string command) =>
        _times.TryGetValue(command, out var times) && times.Count > 0
            ? times
            : throw new BenchException($"hyperfine exports have no runs of a command named '{command}'");
}
