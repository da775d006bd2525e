using System.Globalization;
using System.Text.RegularExpressions;

namespace BudgetRun.Bench.Reporting;

/// <summary>The figures of wrk's text output (run with --latency).</summary>
internal sealed partial record WrkOutput(double RequestsPerSecond, double P99Ms, long Requests, double Seconds, long Non2xx, string SocketErrors)
{
    public static WrkOutput Read(string path)
    {
        var text = File.ReadAllText(path);
        var rps = RequestsPerSecondLine().Match(text);
        var p99 = P99Line().Match(text);
        var requests = RequestsLine().Match(text);
        if (!rps.Success || !p99.Success || !requests.Success)
        {
            throw new BenchException($"{Path.GetFileName(path)} is not wrk --latency output");
        }
        var non2xx = Non2xxLine().Match(text);
        var errors = SocketErrorsLine().Match(text);
        return new WrkOutput(
            double.Parse(rps.Groups["value"].Value, CultureInfo.InvariantCulture),
            ToMs(double.Parse(p99.Groups["value"].Value, CultureInfo.InvariantCulture), p99.Groups["unit"].Value),
            long.Parse(requests.Groups["value"].Value, CultureInfo.InvariantCulture),
            ToMs(double.Parse(requests.Groups["time"].Value, CultureInfo.InvariantCulture), requests.Groups["unit"].Value) / 1000,
            non2xx.Success ? long.Parse(non2xx.Groups["value"].Value, CultureInfo.InvariantCulture) : 0,
            errors.Success ? errors.Groups["value"].Value.Trim() : "");
    }

    private static double ToMs(double value, string unit) => unit switch
    {
        "us" => value / 1000,
        "ms" => value,
        "s" => value * 1000,
        "m" => value * 60_000,
        _ => throw new BenchException($"unknown wrk latency unit '{unit}'"),
    };

    [GeneratedRegex(@"Requests/sec:\s+(?<value>[0-9.]+)")]
    private static partial Regex RequestsPerSecondLine();

    [GeneratedRegex(@"^\s+99%\s+(?<value>[0-9.]+)(?<unit>us|ms|s|m)\s*$", RegexOptions.Multiline)]
    private static partial Regex P99Line();

    [GeneratedRegex(@"(?<value>\d+) requests in (?<time>[0-9.]+)(?<unit>us|ms|s|m),")]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(?<value>\d+)")]
    private static partial Regex Non2xxLine();

    [GeneratedRegex(@"Socket errors:(?<value>[^\n]*)")]
    private static partial Regex SocketErrorsLine();
}
