namespace BudgetRun.Ledgers;

/// <summary>Who makes a reservation: recorded with it, so the ledger tells which run left it.</summary>
internal sealed record RunIdentity(string RunId, int ProcessId, string Host)
{
    /// <summary>This process on this machine, under <paramref name="runId"/> (a new id when null).</summary>
    public static RunIdentity ForCurrentProcess(string? runId = null) =>
        new(runId ?? Guid.NewGuid().ToString("N"), Environment.ProcessId, Environment.MachineName);
}
