using System.Text.Json.Serialization;
using BudgetRun.Bench.Measuring;
using BudgetRun.Bench.Reporting;

namespace BudgetRun.Bench;

/// <summary>Source-generated JSON for the files the bench writes and reads back.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(KillSwitchSamples))]
[JsonSerializable(typeof(ReservationSamples))]
[JsonSerializable(typeof(BenchReport))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
