using System.Globalization;
using System.Text.RegularExpressions;

namespace BudgetRun.Cli.CommandLine;

/// <summary>
/// Strict parsers for the values users type. Each error names where the value came from (a flag
/// or an environment variable) and the value itself.
/// </summary>
internal static partial class ValueParsers
{
    /// <summary>The longest duration accepted anywhere.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(7);

    /// <summary>A whole number in [min, max]: no sign, no decimals, no exponent, no hex.</summary>
    public static long WholeNumber(string source, string value, long min, long max)
    {
        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < min || number > max)
        {
            var range = max == long.MaxValue ? $">= {min}" : $"from {min} to {max}";
            throw new UsageException($"{source}: '{value}' is not a whole number {range}");
        }
        return number;
    }

    /// <summary>A number (decimals allowed) with a unit ms, s, m or h; positive and at most 7 days.</summary>
    public static TimeSpan Duration(string source, string value)
    {
        var match = DurationPattern().Match(value);
        if (!match.Success)
        {
            throw new UsageException($"{source}: '{value}' is not a duration (use a number with a unit: 500ms, 1.5s, 2m, 1h)");
        }
        if (!decimal.TryParse(match.Groups["amount"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            throw new UsageException($"{source}: '{value}' is longer than 7 days");
        }
        var unitTicks = match.Groups["unit"].Value switch
        {
            "ms" => TimeSpan.TicksPerMillisecond,
            "s" => TimeSpan.TicksPerSecond,
            "m" => TimeSpan.TicksPerMinute,
            _ => TimeSpan.TicksPerHour,
        };
        var maxAmount = (decimal)MaxDuration.Ticks / unitTicks;
        if (amount > maxAmount)
        {
            throw new UsageException($"{source}: '{value}' is longer than 7 days");
        }
        var ticks = (long)decimal.Round(amount * unitTicks);
        if (ticks <= 0)
        {
            throw new UsageException($"{source}: '{value}' must be greater than zero");
        }
        return TimeSpan.FromTicks(ticks);
    }

    /// <summary>A comma-separated list of exit codes from 1 to 255.</summary>
    public static IReadOnlySet<int> ExitCodeList(string source, string value)
    {
        var codes = new HashSet<int>();
        foreach (var part in value.Split(','))
        {
            var trimmed = part.Trim();
            if (!int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var code) || code is < 1 or > 255)
            {
                throw new UsageException($"{source}: '{value}' is not a list of exit codes from 1 to 255 (e.g. 1,75,137)");
            }
            codes.Add(code);
        }
        return codes;
    }

    [GeneratedRegex(@"^(?<amount>[0-9]+(\.[0-9]+)?)(?<unit>ms|s|m|h)$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();
}
