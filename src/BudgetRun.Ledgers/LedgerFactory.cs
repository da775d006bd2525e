using BudgetRun.Engine;
using BudgetRun.Ledgers.Locations;
using BudgetRun.Ledgers.Postgres;
using BudgetRun.Ledgers.Redis;
using BudgetRun.Ledgers.Sqlite;

namespace BudgetRun.Ledgers;

/// <summary>
/// Opens the store a <see cref="LedgerLocation"/> names and composes it into an <see cref="AccountLedger"/>,
/// for one account and run. A new store is one more case here.
/// </summary>
internal static class LedgerFactory
{
    /// <summary>
    /// Opens the account's ledger; it is reachable and writable when this returns. An account opened
    /// with terms (a run, a sidecar) exists when this returns: a missing one is created with them,
    /// atomically, unless <paramref name="requireAccount"/>; an existing one keeps its own. An account
    /// opened without terms (the subcommands) has its stored terms read.
    /// </summary>
    /// <remarks><c>createLedger</c> false (the read-only commands): a missing SQLite file is not created.</remarks>
    /// <exception cref="BudgetRun.Engine.Budget.LedgerUnavailableException">It is not (one line naming the ledger).</exception>
    /// <exception cref="AccountNotFoundException">The account is missing and <paramref name="requireAccount"/>, or the SQLite file is missing and not <paramref name="createLedger"/>.</exception>
    public static async ValueTask<AccountLedger> OpenAsync(
        LedgerLocation location,
        LedgerAccount account,
        RunIdentity run,
        LedgerOptions? options = null,
        TimeProvider? time = null,
        bool requireAccount = false,
        bool createLedger = true)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(run);
        options ??= LedgerOptions.Default;
        options.Validate(); // before a store connects with a bad timeout
        var store = location is SqliteLedgerLocation sqlite
            ? await SqliteStore.OpenAsync(sqlite, account.Key, options, createLedger).ConfigureAwait(false)
            : await OpenNetworkStoreAsync(location, account.Key, options).ConfigureAwait(false);
        var ledger = new AccountLedger(store, account, run, options, time ?? TimeProvider.System);
        try
        {
            await ledger.SyncClockAsync(CancellationToken.None).ConfigureAwait(false);
            if (account.LimitCents is not null)
            {
                await ledger.EnsureAccountAsync(!requireAccount, CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await ledger.LoadTermsAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch
        {
            await ledger.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return ledger;
    }

    /// <summary>A Redis or PostgreSQL store: behind the switch, so the lean binary carries neither client (<see cref="NetworkFeatures"/>).</summary>
    private static async ValueTask<ILedgerStore> OpenNetworkStoreAsync(LedgerLocation location, string key, LedgerOptions options)
    {
        if (!NetworkFeatures.IsSupported)
        {
            throw NetworkFeatures.Missing($"the ledger {location}");
        }
        return location switch
        {
            RedisLedgerLocation redis => await RedisStore.OpenAsync(redis, key, options).ConfigureAwait(false),
            PostgresLedgerLocation postgres => await PostgresStore.OpenAsync(postgres, key, options).ConfigureAwait(false),
            _ => throw new ArgumentException($"unknown ledger location {location}", nameof(location)),
        };
    }

    /// <summary>The accounts of a ledger whose key starts with <paramref name="prefix"/>; a missing SQLite file has none (and is not created).</summary>
    public static async ValueTask<IReadOnlyList<AccountEntry>> ListAccountsAsync(LedgerLocation location, string prefix, LedgerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (location is SqliteLedgerLocation { Path: var path } && !File.Exists(path))
        {
            return [];
        }
        // Listing is not about one account: the store is opened for a key no account can have.
        await using var ledger = await OpenAsync(location, new LedgerAccount(ListingKey, null, null), RunIdentity.ForCurrentProcess(), options,
            createLedger: false).ConfigureAwait(false);
        return await ledger.ListAccountsAsync(prefix, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>A valid key that no run names, as the store of a listing is opened for one.</summary>
    private const string ListingKey = "0-budget-run-listing";
}
