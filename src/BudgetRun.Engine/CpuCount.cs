using System.Globalization;

namespace BudgetRun.Engine;

/// <summary>How many CPUs the processes of an attempt could run on at once.</summary>
internal static class CpuCount
{
    /// <summary>
    /// The online CPUs (/sys/devices/system/cpu/online, "0-3,6"): more than a child could ever use at
    /// once, whatever affinity it sets itself. Not <see cref="Environment.ProcessorCount"/>, which
    /// follows budget-run's own affinity and quota, both of which a child may not share.
    /// </summary>
    public static int Online()
    {
        try
        {
            return Parse(File.ReadAllText("/sys/devices/system/cpu/online")) ?? Environment.ProcessorCount;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Environment.ProcessorCount;
        }
    }

    /// <summary>The number of CPUs in a list of ranges ("0-3,6"), or null when it is not one.</summary>
    internal static int? Parse(string list)
    {
        var count = 0;
        foreach (var part in list.Trim().Split(','))
        {
            var bounds = part.Split('-');
            if (bounds.Length is < 1 or > 2
                || !int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                || !int.TryParse(bounds[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var last) || last < first)
            {
                return null;
            }
            count += last - first + 1;
        }
        return count > 0 ? count : null;
    }
}
