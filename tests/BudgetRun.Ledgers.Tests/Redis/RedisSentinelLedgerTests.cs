using BudgetRun.Ledgers.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Ledgers.Tests.Redis;

/// <summary>
/// The ledger contract through Redis Sentinel (a primary, a replica, three sentinels): the same
/// scripts and keys as a single server, every write confirmed by the replica before it counts, and
/// every script checked to touch only the keys it declares (<see cref="DeclaredKeysOnly"/>).
/// </summary>
[Collection(RedisSentinelCollection.Name)]
public sealed class RedisSentinelLedgerTests(RedisSentinelFixture redis, ITestOutputHelper output) : LedgerContractTests(output)
{
    protected override string LedgerUri => redis.Sentinel.Uri;

    /// <summary>
    /// A Sentinel client opens four connections (three sentinels, then the primary), and the contract
    /// opens twelve clients at once; on a loaded two-core CI machine the default 3 s was seen to run
    /// out before an answer already in the client's buffer was read. The contract is not about
    /// timeouts (RedisSentinelFailureTests are), so this suite gives the ledger 10 s.
    /// </summary>
    private protected override LedgerOptions? StoreOptions(LedgerOptions? options) =>
        DeclaredKeysOnly.Options(options) with { RedisTimeout = TimeSpan.FromSeconds(10) };

    private protected override IReadOnlyDictionary<string, string>? WorkerEnvironment { get; } =
        new Dictionary<string, string> { [DeclaredKeysOnly.Variable] = "1" };
}
