namespace BudgetRun.Bench.Measuring;

/// <summary>
/// What <see cref="ReservationBench"/> writes for one ledger and key depth: the reservations made,
/// and the nearest-rank p50 and p99 of every request's latency (POST sent to answer read).
/// </summary>
internal sealed record ReservationSamples(
    string Ledger, string Key, int Levels, int Processes, double Seconds, long Reserved, long Refused, double PerSecond,
    double P50Ms, double P99Ms);
