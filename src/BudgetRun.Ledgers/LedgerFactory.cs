using BudgetRun.Ledgers.Locations;
using BudgetRun.Ledgers.Redis;
using BudgetRun.Ledgers.Sqlite;

namespace BudgetRun.Ledgers;

/// <summary>Opens the ledger a <see cref="LedgerLocation"/> names, for one account and run.</summary>
internal static class LedgerFactory
{
    /// <summary>Opens the account's ledger; it is reachable and writable when this returns.</summary>
    /// <exception cref="BudgetRun.Engine.Budget.LedgerUnavailableException">It is not (one line naming the ledger).</exception>
    public static async ValueTask<AccountLedger> OpenAsync(
        LedgerLocation location,
        LedgerAccount account,
        RunIdentity run,
        LedgerOptions? options = null,
        TimeProvider? time = null) => location switch
        {
            SqliteLedgerLocation sqlite => await SqliteLedger.OpenAsync(sqlite, account, run, options ?? LedgerOptions.Default, time ?? TimeProvider.System).ConfigureAwait(false),
            RedisLedgerLocation redis => await RedisLedger.OpenAsync(redis, account, run, options ?? LedgerOptions.Default, time ?? TimeProvider.System).ConfigureAwait(false),
            _ => throw new ArgumentException($"unknown ledger location {location}", nameof(location)),
        };
}
