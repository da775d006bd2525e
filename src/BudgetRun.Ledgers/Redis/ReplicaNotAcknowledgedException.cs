using StackExchange.Redis;

namespace BudgetRun.Ledgers.Redis;

/// <summary>
/// A write through Sentinel that the primary made but no replica confirmed in time (<c>WAIT</c>
/// answered 0): a failover could still lose it, so it is not reported as done. It may have landed.
/// </summary>
internal sealed class ReplicaNotAcknowledgedException(string message) : RedisException(message);
