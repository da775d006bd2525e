using BudgetRun.Ledgers.Locations;
using BudgetRun.Ledgers.Redis;
using BudgetRun.Ledgers.Sqlite;

namespace BudgetRun.Ledgers;

/// <summary>
/// Opens the store a <see cref="LedgerLocation"/> names and composes it into an <see cref="AccountLedger"/>,
/// for one account and run. A new store is one more case here.
/// </summary>
internal static class LedgerFactory
{
    /// <summary>Opens the account's ledger; it is reachable and writable when this returns.</summary>
    /// <exception cref="BudgetRun.Engine.Budget.LedgerUnavailableException">It is not (one line naming the ledger).</exception>
    public static async ValueTask<AccountLedger> OpenAsync(
        LedgerLocation location,
        LedgerAccount account,
        RunIdentity run,
        LedgerOptions? options = null,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(run);
        options ??= LedgerOptions.Default;
        options.Validate(); // before a store connects with a bad timeout
        ILedgerStore store = location switch
        {
            SqliteLedgerLocation sqlite => await SqliteStore.OpenAsync(sqlite, account.Key, options).ConfigureAwait(false),
            RedisLedgerLocation redis => await RedisStore.OpenAsync(redis, account.Key, options).ConfigureAwait(false),
            _ => throw new ArgumentException($"unknown ledger location {location}", nameof(location)),
        };
        return new AccountLedger(store, account, run, options, time ?? TimeProvider.System);
    }
}
