using System.Globalization;

namespace BudgetRun.Engine.Processes;

/// <summary>
/// What /proc/PID/stat says of a process that leftovers are matched by: its state, process group
/// and start time (clock ticks after boot, field 22), which with the pid names one process for good:
/// a pid that is reused belongs to a process that started later.
/// </summary>
internal readonly record struct ProcStat(char State, int Group, long StartTime)
{
    /// <summary>Exited, waiting only to be reaped by its parent: dead for every purpose here.</summary>
    public bool IsZombie => State is 'Z' or 'X';

    /// <summary>The stat of <paramref name="pid"/>; null when there is no such process or it cannot be read.</summary>
    public static ProcStat? Read(int pid)
    {
        try
        {
            return Parse(File.ReadAllText("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/stat"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Parses "pid (comm) S ppid pgrp ... starttime ..." where comm may hold spaces and parentheses.</summary>
    internal static ProcStat? Parse(string stat)
    {
        var close = stat.LastIndexOf(')');
        if (close < 0 || close + 2 >= stat.Length)
        {
            return null;
        }
        // Fields 3 (state) to 22 (starttime) follow the command name.
        var fields = stat[(close + 2)..].Split(' ');
        if (fields.Length < 20 || fields[0].Length != 1
            || !int.TryParse(fields[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var group)
            || !long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return null;
        }
        return new ProcStat(fields[0][0], group, start);
    }
}
