using System.Globalization;
using System.Text;
using System.Text.Json;

namespace BudgetRun.Engine.Processes;

/// <summary>What became of one record of <see cref="LeftoverReaper.ReapAsync"/>.</summary>
/// <param name="Record">The record.</param>
/// <param name="SupervisorAlive">Its budget-run still runs: nothing was touched.</param>
/// <param name="Found">The processes of the run that were found (killed, unless it was a dry run).</param>
/// <param name="Survivors">Those still alive after SIGKILL and the wait (the record is kept for another try).</param>
internal sealed record ReapedRun(LeftoverRecord Record, bool SupervisorAlive, int Found, int Survivors);

/// <summary>
/// Kills what a dead supervisor left behind, from the records of <see cref="LeftoverRecorder"/>.
/// A record is only acted on once its supervisor is gone (no process with its pid and start time).
/// Then SIGKILL goes to: everything in the run's cgroup (<c>cgroup.kill</c>, whatever the processes
/// did), and every process that started after the supervisor and is either in one of the run's
/// process groups (whose leader, if still there, is the one recorded) or carries the run's
/// <c>BUDGET_RUN_RUN_ID</c> in its environment. Each of those is signalled through a pidfd opened
/// before its start time is checked again, so a pid reused in between is never hit.
/// </summary>
internal static class LeftoverReaper
{
    private const int MaxRecordBytes = 1 << 16;

    /// <summary>
    /// Reaps every record in <paramref name="directory"/> (of <paramref name="key"/> only, when
    /// given); <paramref name="dryRun"/> finds without killing. <paramref name="skipped"/> hears of
    /// each file that is not a usable record.
    /// </summary>
    public static async Task<List<ReapedRun>> ReapAsync(string directory, string? key, bool dryRun, TimeProvider time, TimeSpan wait,
        Action<string> skipped, CancellationToken cancellationToken = default)
    {
        var results = new List<ReapedRun>();
        foreach (var file in Records(directory))
        {
            if (Load(file, out var whyNot) is not { } record)
            {
                skipped($"{file}: {whyNot}");
                continue;
            }
            if (key is not null && record.Key != key)
            {
                continue;
            }
            if (IsAlive(record.SupervisorPid, record.SupervisorStart) && record.SupervisorPid != NativeMethods.GetPid())
            {
                results.Add(new ReapedRun(record, SupervisorAlive: true, 0, 0));
                continue;
            }
            results.Add(await ReapOneAsync(file, record, dryRun, time, wait, cancellationToken).ConfigureAwait(false));
        }
        return results;
    }

    private static IEnumerable<string> Records(string directory)
    {
        try
        {
            return Directory.EnumerateFiles(directory, "run-*.json").Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The record in <paramref name="file"/>, or null and why it is not one to act on.</summary>
    internal static LeftoverRecord? Load(string file, out string whyNot)
    {
        if (!StateDirectory.IsOwnRegularFile(file))
        {
            whyNot = "not a regular file of this user's";
            return null;
        }
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            whyNot = ex.Message;
            return null;
        }
        if (bytes.Length > MaxRecordBytes)
        {
            whyNot = $"{bytes.Length} bytes, more than a record holds";
            return null;
        }
        LeftoverRecord? record;
        try
        {
            record = JsonSerializer.Deserialize(bytes, LeftoverJsonContext.Default.LeftoverRecord);
        }
        catch (JsonException ex)
        {
            whyNot = "not a budget-run record: " + ex.Message;
            return null;
        }
        if (record is null || record.Version != LeftoverRecord.CurrentVersion || record.SupervisorPid <= 0 || record.SupervisorStart <= 0
            || record.RunId.Length is 0 or > 64 || !record.RunId.All(char.IsAsciiLetterOrDigit)
            || record.Groups.Any(group => group is null || group.Pgid <= 1 || group.LeaderStart < record.SupervisorStart)
            || (record.Cgroup is { } cgroup && (!Path.IsPathRooted(cgroup) || !Path.GetFileName(cgroup).StartsWith("budget-run-", StringComparison.Ordinal))))
        {
            whyNot = "not a budget-run record (version " + (record?.Version.ToString(CultureInfo.InvariantCulture) ?? "none") + ", or a field out of range)";
            return null;
        }
        whyNot = "";
        return record;
    }

    private static async Task<ReapedRun> ReapOneAsync(string file, LeftoverRecord record, bool dryRun, TimeProvider time, TimeSpan wait,
        CancellationToken cancellationToken)
    {
        var cgroupMembers = record.Cgroup is { } cgroup ? CgroupMembers(cgroup) : [];
        var targets = Scan(record);
        foreach (var pid in cgroupMembers)
        {
            if (!targets.ContainsKey(pid) && ProcStat.Read(pid) is { IsZombie: false } stat)
            {
                targets[pid] = stat.StartTime;
            }
        }
        if (dryRun)
        {
            return new ReapedRun(record, false, targets.Count, targets.Count);
        }

        if (record.Cgroup is { } path && Directory.Exists(path))
        {
            new AttemptCgroup(path).Kill(); // cgroup.kill of the run's cgroup reaches its attempts' too
        }
        foreach (var (pid, start) in targets)
        {
            Kill(pid, start);
        }
        var deadline = time.GetTimestamp() + (long)(wait.TotalSeconds * time.TimestampFrequency);
        while (targets.Any(target => IsAlive(target.Key, target.Value)) && time.GetTimestamp() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), time, cancellationToken).ConfigureAwait(false);
        }
        var survivors = targets.Count(target => IsAlive(target.Key, target.Value));
        var cgroupGone = record.Cgroup is not { } run || RemoveCgroup(run);
        if (survivors == 0 && cgroupGone)
        {
            try
            {
                File.Delete(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
        return new ReapedRun(record, false, targets.Count, survivors);
    }

    /// <summary>The run's processes outside a cgroup: by process group and by the run id in their environment, each started after the supervisor.</summary>
    private static Dictionary<int, long> Scan(LeftoverRecord record)
    {
        // A group whose leader's pid now names another process is not the run's: the kernel reuses
        // a pid only once no process has it as its group id, so that group of the run is empty.
        var groups = record.Groups
            .Where(group => ProcStat.Read(group.Pgid) is not { } leader || leader.StartTime == group.LeaderStart)
            .ToDictionary(group => group.Pgid, group => group.LeaderStart);
        var marker = Encoding.UTF8.GetBytes(AttemptEnvironment.RunId + "=" + record.RunId + "\0");
        var self = NativeMethods.GetPid();
        var targets = new Dictionary<int, long>();
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateDirectories("/proc").ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return targets;
        }
        foreach (var entry in entries)
        {
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == self
                || ProcStat.Read(pid) is not { IsZombie: false } stat || stat.StartTime < record.SupervisorStart)
            {
                continue;
            }
            if ((groups.TryGetValue(stat.Group, out var leaderStart) && stat.StartTime >= leaderStart) || EnvironmentHolds(pid, marker))
            {
                targets[pid] = stat.StartTime;
            }
        }
        return targets;
    }

    private static bool EnvironmentHolds(int pid, byte[] marker)
    {
        try
        {
            var environment = File.ReadAllBytes("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/environ");
            // Each entry ends with NUL; the marker must start an entry.
            var span = environment.AsSpan();
            return span.StartsWith(marker) || IndexOfEntry(span, marker);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool IndexOfEntry(ReadOnlySpan<byte> environment, ReadOnlySpan<byte> marker)
    {
        Span<byte> prefixed = stackalloc byte[marker.Length + 1];
        prefixed[0] = 0;
        marker.CopyTo(prefixed[1..]);
        return environment.IndexOf(prefixed) >= 0;
    }

    /// <summary>SIGKILL through a pidfd, once the process behind it is checked to be the one found.</summary>
    private static void Kill(int pid, long start)
    {
        var fd = NativeMethods.PidfdOpen(pid);
        if (fd < 0)
        {
            return; // gone already
        }
        try
        {
            if (ProcStat.Read(pid) is { } stat && stat.StartTime == start)
            {
                _ = NativeMethods.PidfdSignal(fd, Signals.SIGKILL);
            }
        }
        finally
        {
            _ = NativeMethods.Close(fd);
        }
    }

    private static bool IsAlive(int pid, long start) => ProcStat.Read(pid) is { IsZombie: false } stat && stat.StartTime == start;

    /// <summary>The pids in the run's cgroup and its attempts' cgroups.</summary>
    private static List<int> CgroupMembers(string run)
    {
        var pids = new List<int>();
        if (!Directory.Exists(run))
        {
            return pids;
        }
        foreach (var directory in CgroupsBottomUp(run))
        {
            try
            {
                foreach (var line in File.ReadAllLines(Path.Combine(directory, "cgroup.procs")))
                {
                    if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                    {
                        pids.Add(pid);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
        return pids;
    }

    /// <summary>Removes the run's cgroup and its attempts' (rmdir, innermost first): true when none is left.</summary>
    private static bool RemoveCgroup(string run)
    {
        if (!Directory.Exists(run))
        {
            return true;
        }
        foreach (var directory in CgroupsBottomUp(run))
        {
            try
            {
                Directory.Delete(directory);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
        return !Directory.Exists(run);
    }

    private static List<string> CgroupsBottomUp(string run)
    {
        try
        {
            var all = Directory.EnumerateDirectories(run, "*", SearchOption.AllDirectories).ToList();
            all.Sort((a, b) => b.Length.CompareTo(a.Length));
            all.Add(run);
            return all;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [run];
        }
    }
}
