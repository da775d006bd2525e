using System.Text.Json.Serialization;

namespace BudgetRun.Ledgers;

/// <summary>What a history entry records; the JSON and CSV names are the lower-case ones.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HistoryKind>))]
internal enum HistoryKind
{
    /// <summary>A reservation was made: reserved goes up.</summary>
    [JsonStringEnumMemberName("reserve")] Reserve,

    /// <summary>A reservation was settled: its real cost enters spent and it leaves reserved.</summary>
    [JsonStringEnumMemberName("settle")] Settle,

    /// <summary>A reservation was released: it leaves reserved, nothing is spent.</summary>
    [JsonStringEnumMemberName("release")] Release,

    /// <summary>A reservation was not settled in time and counts as spent in full.</summary>
    [JsonStringEnumMemberName("expire")] Expire,

    /// <summary>Spend reported without a reservation (<c>POST /cost</c>, a settle whose reservation the store lost).</summary>
    [JsonStringEnumMemberName("spend")] Spend,

    /// <summary>The kill switch was engaged.</summary>
    [JsonStringEnumMemberName("kill")] Kill,

    /// <summary>The kill switch was released.</summary>
    [JsonStringEnumMemberName("resume")] Resume,

    /// <summary>The account's terms were set (created by a run or <c>budget set</c>, or changed).</summary>
    [JsonStringEnumMemberName("terms")] Terms,
}
