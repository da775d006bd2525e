namespace BudgetRun.Ledgers;

/// <summary>Who makes a reservation: recorded with it, so the ledger tells which run left it.</summary>
internal sealed record RunIdentity(string RunId, int ProcessId, string Host)
{
    /// <summary>The user it runs as (recorded in the history with each change it makes); empty when unknown.</summary>
    public string User { get; init; } = "";

    /// <summary>This process on this machine, under <paramref name="runId"/> (a new id when null).</summary>
    public static RunIdentity ForCurrentProcess(string? runId = null) =>
        new(runId ?? Guid.NewGuid().ToString("N"), Environment.ProcessId, Environment.MachineName) { User = Environment.UserName };
}
