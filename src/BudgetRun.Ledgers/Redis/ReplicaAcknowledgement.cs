using System.Globalization;
using StackExchange.Redis;

namespace BudgetRun.Ledgers.Redis;

/// <summary>
/// Runs the writing scripts of a ledger behind Sentinel so that what a caller is told is done
/// survives a failover: the script and <c>WAIT 1 ms</c> are queued together, in that order, on the
/// primary's connection, and the script's answer counts only when at least one replica has
/// confirmed every write of that connection up to it. Sentinel promotes the most up-to-date replica,
/// so an acknowledged charge is on the new primary.
/// </summary>
/// <remarks>
/// The script is sent as <c>EVAL</c> with its text (<see cref="CommandFlags.NoScriptCache"/>): the
/// client's own <c>NOSCRIPT</c> retry of an <c>EVALSHA</c> would run it again after the <c>WAIT</c>,
/// which would then vouch for nothing. With <see cref="BacklogPolicy.FailFast"/> the two are written
/// to the same socket or the <c>WAIT</c> fails: a <c>WAIT</c> on a fresh connection (which answers at
/// once, having no writes to wait for) never vouches for a write made on the old one.
/// </remarks>
internal sealed class ReplicaAcknowledgement(TimeSpan timeout)
{
    /// <summary>At most half the command timeout, so that <c>WAIT</c> answers before the client gives up on it.</summary>
    public long TimeoutMs { get; } = Math.Max(1, (long)(timeout.TotalMilliseconds / 2));

    /// <exception cref="ReplicaNotAcknowledgedException">No replica confirmed the write within <see cref="TimeoutMs"/>.</exception>
    public async Task<RedisResult> EvaluateAsync(IDatabase database, string script, RedisKey[] keys, RedisValue[] values)
    {
        var run = database.ScriptEvaluateAsync(script, keys, values, CommandFlags.DemandMaster | CommandFlags.NoScriptCache);
        var wait = database.ExecuteAsync("WAIT", [1, TimeoutMs], CommandFlags.DemandMaster);
        RedisResult result;
        try
        {
            result = await run.ConfigureAwait(false);
        }
        catch
        {
            _ = wait.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw;
        }
        if ((long)await wait.ConfigureAwait(false) < 1)
        {
            throw new ReplicaNotAcknowledgedException(string.Create(CultureInfo.InvariantCulture,
                $"no replica confirmed the write within {TimeoutMs} ms (WAIT 1), so a failover could lose it: not counted as done"));
        }
        return result;
    }
}
