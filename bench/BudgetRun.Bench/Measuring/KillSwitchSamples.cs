namespace BudgetRun.Bench.Measuring;

/// <summary>What <see cref="KillSwitchBench"/> writes: one sample of each kind per run, in milliseconds.</summary>
internal sealed record KillSwitchSamples(int Runs, IReadOnlyList<double> KillMs, IReadOnlyList<double> SigtermMs);
