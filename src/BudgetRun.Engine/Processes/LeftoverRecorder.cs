using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;

namespace BudgetRun.Engine.Processes;

/// <summary>
/// One process group an attempt (or the end hook) was started in: its leader's pid, which is the
/// group's id, and the leader's start time, so that a group id whose pid was since reused is told apart.
/// </summary>
internal sealed record LeftoverGroup(int Pgid, long LeaderStart);

/// <summary>
/// What a run leaves behind if budget-run is SIGKILLed: the supervisor (pid and start time: while
/// that process lives, nothing of the run is touched), the run's id (every child's environment
/// carries it as <c>BUDGET_RUN_RUN_ID</c>), its budget key, its cgroup and its children's process groups.
/// </summary>
internal sealed record LeftoverRecord
{
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;

    public required string RunId { get; init; }

    public required int SupervisorPid { get; init; }

    public required long SupervisorStart { get; init; }

    public string? Key { get; init; }

    /// <summary>The run's cgroup directory (its attempts' cgroups are in it), or null without one.</summary>
    public string? Cgroup { get; init; }

    public List<LeftoverGroup> Groups { get; init; } = [];
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(LeftoverRecord))]
internal sealed partial class LeftoverJsonContext : JsonSerializerContext;

/// <summary>
/// Keeps a run's <see cref="LeftoverRecord"/> in the state directory
/// (<see cref="StateDirectory"/>) as <c>run-RUNID.json</c>, rewritten atomically (temp file and
/// rename) as each child starts, and removes it when the run ends: a record that outlives its
/// supervisor is what <c>budget-run reap</c>, and the next run on the same key, clean up after.
/// </summary>
internal sealed class LeftoverRecorder : IDisposable
{
    private readonly Lock _lock = new();
    private readonly string _file;
    private LeftoverRecord _record;
    private bool _disposed;

    private LeftoverRecorder(string file, LeftoverRecord record)
    {
        _file = file;
        _record = record;
    }

    public static string FileName(string runId) => "run-" + runId + ".json";

    /// <summary>Writes the run's record; null, with the reason, when it cannot be kept.</summary>
    public static LeftoverRecorder? Open(string directory, string runId, string? key, string? cgroup, out string whyNot)
    {
        if (StateDirectory.WhyNotUsable(directory, create: true) is { } reason)
        {
            whyNot = reason;
            return null;
        }
        var self = NativeMethods.GetPid();
        if (ProcStat.Read(self) is not { } stat)
        {
            whyNot = "cannot read /proc/self/stat";
            return null;
        }
        var recorder = new LeftoverRecorder(Path.Combine(directory, FileName(runId)), new LeftoverRecord
        {
            RunId = runId,
            SupervisorPid = self,
            SupervisorStart = stat.StartTime,
            Key = key,
            Cgroup = cgroup,
        });
        if (recorder.Write() is { } error)
        {
            whyNot = error;
            return null;
        }
        whyNot = "";
        return recorder;
    }

    /// <summary>
    /// Adds a child's process group, read while it is alive; a child already gone is not recorded
    /// (nothing to find by its group). Earlier groups with no process left are dropped: the record
    /// holds what a SIGKILL would leave now, not one group per attempt ever started (a run of 10,000
    /// attempts rewrote a record growing to 290 KB before each one, and its peak RSS grew with it).
    /// </summary>
    public void Started(int pid)
    {
        if (ProcStat.Read(pid) is not { } stat || stat.Group != pid)
        {
            return;
        }
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _record = _record with { Groups = [.. _record.Groups.Where(HasProcesses), new LeftoverGroup(pid, stat.StartTime)] };
            _ = Write();
        }
    }

    /// <summary>
    /// False only when no process is in the group (kill(-pgid, 0) says ESRCH). An empty group is
    /// nothing a reap could find: no process can join it, and its id comes back only as the group of
    /// a new leader with that pid, whose start time the reap tells apart. A group it may not signal
    /// (EPERM) still has processes, and stays.
    /// </summary>
    private static bool HasProcesses(LeftoverGroup group) =>
        group.Pgid <= 1 || NativeMethods.Kill(-group.Pgid, 0) == 0 || Marshal.GetLastPInvokeError() != NativeMethods.ESRCH;

    /// <summary>The run has ended and left nothing: its record goes.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            try
            {
                File.Delete(_file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // The escaping of JavaScriptEncoder.Default, System.Text.Json's when none is given. Not that
        // one itself: its first use builds the encoders for every Unicode range, 2.8 million
        // instructions of every run's start-up; this one covers Basic Latin only.
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.BasicLatin),
        SkipValidation = true,
    };

    /// <summary>
    /// The record as <see cref="LeftoverJsonContext"/> writes it, byte for byte (a test compares the
    /// two), with Utf8JsonWriter: the source-generated serializer encodes its property names with
    /// <see cref="JavaScriptEncoder.Default"/> when it is first used.
    /// </summary>
    internal static byte[] Serialize(LeftoverRecord record)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("version", record.Version);
            json.WriteString("runId", record.RunId);
            json.WriteNumber("supervisorPid", record.SupervisorPid);
            json.WriteNumber("supervisorStart", record.SupervisorStart);
            json.WriteString("key", record.Key);
            json.WriteString("cgroup", record.Cgroup);
            json.WriteStartArray("groups");
            foreach (var group in record.Groups)
            {
                json.WriteStartObject();
                json.WriteNumber("pgid", group.Pgid);
                json.WriteNumber("leaderStart", group.LeaderStart);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private string? Write()
    {
        var temporary = _file + ".tmp";
        try
        {
            File.WriteAllBytes(temporary, Serialize(_record));
            File.Move(temporary, _file, overwrite: true);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
            }
            return $"cannot write {_file}: {ex.Message}";
        }
    }
}
