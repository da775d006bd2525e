using System.Text.Json;
using BudgetRun.Engine.Processes;

namespace BudgetRun.Engine.Tests.Processes;

/// <summary>
/// The leftover record's writer (Utf8JsonWriter, for start-up's sake) against the source-generated
/// serializer <c>reap</c> reads it with: the same bytes, and the same record read back.
/// </summary>
public sealed class LeftoverRecordTests
{
    public static TheoryData<string?, string?, int> Records => new()
    {
        { null, null, 0 },
        { "batch/nightly", "/sys/fs/cgroup/unified/budget-run/run-1", 1 },
        // Every character the encoder must escape, and some it must not.
        { "quote\" back\\slash / tab\t nl\n nul\0 del\u007f", "<script>&'+`", 3 },
        { "überlastet é ß 中文 😀", "\u2028\u2029 \uD800 lone surrogate", 2 },
        { "", "", 200 },
    };

    [Theory]
    [MemberData(nameof(Records))]
    public void Serialize_WritesWhatTheSourceGeneratedSerializerWrites_AndReadsBack(string? key, string? cgroup, int groups)
    {
        var record = new LeftoverRecord
        {
            RunId = "0123456789abcdef0123456789abcdef",
            SupervisorPid = int.MaxValue,
            SupervisorStart = long.MaxValue - groups,
            Key = key,
            Cgroup = cgroup,
            Groups = [.. Enumerable.Range(1, groups).Select(i => new LeftoverGroup(i * 7919, i * 1_000_003L))],
        };

        var written = LeftoverRecorder.Serialize(record);

        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(record, LeftoverJsonContext.Default.LeftoverRecord), written);
        var read = JsonSerializer.Deserialize(written, LeftoverJsonContext.Default.LeftoverRecord)!;
        Assert.Equal(record.RunId, read.RunId);
        Assert.Equal(record.SupervisorPid, read.SupervisorPid);
        Assert.Equal(record.SupervisorStart, read.SupervisorStart);
        Assert.Equal(key, read.Key);
        Assert.Equal(cgroup, read.Cgroup);
        Assert.Equal(record.Groups, read.Groups);
        Assert.Equal(LeftoverRecord.CurrentVersion, read.Version);
    }
}
