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

    /// <summary>A rate in cents: greater than zero, at most <paramref name="max"/>, up to 6 decimals, no sign or exponent.</summary>
    public static decimal Rate(string source, string value, decimal max)
    {
        if (!RatePattern().IsMatch(value)
            || !decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var rate)
            || rate <= 0 || rate > max)
        {
            throw new UsageException($"{source}: '{value}' is not a rate in cents (a number above 0 and at most {max.ToString(CultureInfo.InvariantCulture)}, up to 6 decimals: 12, 0.5)");
        }
        return rate;
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

    /// <summary>A whole number of hours or days (<c>36h</c>, <c>90d</c>) from <paramref name="min"/> to <paramref name="max"/>: a retention.</summary>
    public static TimeSpan LongDuration(string source, string value, TimeSpan min, TimeSpan max)
    {
        var match = LongDurationPattern().Match(value);
        if (!match.Success || !long.TryParse(match.Groups["amount"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var amount)
            || amount > 1_000_000)
        {
            throw new UsageException($"{source}: '{value}' is not a whole number of hours or days (e.g. 36h, 90d)");
        }
        var duration = match.Groups["unit"].Value == "d" ? TimeSpan.FromDays(amount) : TimeSpan.FromHours(amount);
        if (duration < min || duration > max)
        {
            throw new UsageException($"{source}: '{value}' is not from {BudgetRun.Engine.Durations.Format(min)} to {max.TotalDays:0}d");
        }
        return duration;
    }

    /// <summary>
    /// A moment: a duration ago (<c>90s</c>, <c>30m</c>, <c>24h</c>, <c>7d</c>) or a date or time in ISO 8601
    /// (<c>2026-12-01</c>, <c>2026-12-01T08:00:00Z</c>; without an offset it is UTC).
    /// </summary>
    public static DateTimeOffset PointInTime(string source, string value, DateTimeOffset now)
    {
        var ago = AgoPattern().Match(value);
        if (ago.Success && decimal.TryParse(ago.Groups["amount"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
            && amount <= 3_650_000)
        {
            var seconds = ago.Groups["unit"].Value switch
            {
                "s" => amount,
                "m" => amount * 60,
                "h" => amount * 3600,
                _ => amount * 86_400,
            };
            var back = TimeSpan.FromSeconds((double)seconds);
            return back >= now - DateTimeOffset.UnixEpoch ? DateTimeOffset.UnixEpoch : now - back;
        }
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var at)
            && value.Length >= 10 && char.IsAsciiDigit(value[0]))
        {
            return at;
        }
        throw new UsageException($"{source}: '{value}' is neither a duration ago (24h, 7d) nor a time (2026-12-01, 2026-12-01T08:00:00Z)");
    }

    /// <summary>A comma-separated list of exit codes from 1 to 255.</summary>
    public static IReadOnlySet<int> ExitCodeList(string source, string value)
    {
        var codes = new HashSet<int>();
        foreach (var part in value.Split(','))
        {
            var trimmed = part.Trim();
            if (trimmed is "oom" or "unhealthy")
            {
                codes.Add(trimmed == "oom" ? Engine.ExitCodes.Oom : Engine.ExitCodes.Unhealthy);
                continue;
            }
            if (!int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var code) || code is < 1 or > 255)
            {
                throw new UsageException($"{source}: '{value}' is not a list of exit codes from 1 to 255, oom or unhealthy (e.g. 1,75,137,oom)");
            }
            codes.Add(code);
        }
        return codes;
    }

    /// <summary>The smallest and largest <c>--memory-max</c>.</summary>
    public const long MinMemoryBytes = 1L << 20, MaxMemoryBytes = 1L << 50;

    /// <summary>
    /// A size in bytes, with K, M, G or T (powers of 1024): <c>512M</c>, <c>2G</c>, <c>1073741824</c>;
    /// from 1M to 1024T.
    /// </summary>
    public static long Size(string source, string value)
    {
        var match = SizePattern().Match(value);
        if (!match.Success || !long.TryParse(match.Groups["amount"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            throw new UsageException($"{source}: '{value}' is not a size (a whole number of bytes, or with K, M, G or T: 512M, 2G)");
        }
        var shift = match.Groups["unit"].Value switch { "K" => 10, "M" => 20, "G" => 30, "T" => 40, _ => 0 };
        if (amount > MaxMemoryBytes >> shift || (amount << shift) < MinMemoryBytes)
        {
            throw new UsageException($"{source}: '{value}' is not from 1M to 1024T");
        }
        return amount << shift;
    }

    /// <summary>A number of CPUs, up to 3 decimals, from 0.01 to 4096: <c>0.5</c>, <c>2</c>.</summary>
    public static decimal Cpus(string source, string value)
    {
        if (!CpusPattern().IsMatch(value) || !decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var cpus)
            || cpus < 0.01m || cpus > 4096)
        {
            throw new UsageException($"{source}: '{value}' is not a number of CPUs from 0.01 to 4096 (up to 3 decimals: 0.5, 2)");
        }
        return cpus;
    }

    [GeneratedRegex(@"^(?<amount>[0-9]{1,16})(?<unit>[KMGT])?\z", RegexOptions.CultureInvariant)]
    private static partial Regex SizePattern();

    [GeneratedRegex(@"^[0-9]{1,4}(\.[0-9]{1,3})?\z", RegexOptions.CultureInvariant)]
    private static partial Regex CpusPattern();

    [GeneratedRegex(@"^[0-9]{1,16}(\.[0-9]{1,6})?\z", RegexOptions.CultureInvariant)]
    private static partial Regex RatePattern();

    [GeneratedRegex(@"^(?<amount>[0-9]+(\.[0-9]+)?)(?<unit>ms|s|m|h)$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^(?<amount>[0-9]{1,7})(?<unit>h|d)\z", RegexOptions.CultureInvariant)]
    private static partial Regex LongDurationPattern();

    [GeneratedRegex(@"^(?<amount>[0-9]{1,9}(\.[0-9]{1,6})?)(?<unit>s|m|h|d)\z", RegexOptions.CultureInvariant)]
    private static partial Regex AgoPattern();
}
