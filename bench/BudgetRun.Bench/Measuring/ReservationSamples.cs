namespace BudgetRun.Bench.Measuring;

/// <summary>What <see cref="ReservationBench"/> writes for one ledger.</summary>
internal sealed record ReservationSamples(
    string Ledger, int Processes, double Seconds, long Reserved, long Refused, double PerSecond);
