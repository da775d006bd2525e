using System.CommandLine;
using BudgetRun.Ledgers;
using BudgetRun.Ledgers.Locations;

namespace BudgetRun.Cli.CommandLine;

/// <summary>A persistent budget account: where it lives and its terms.</summary>
internal sealed record LedgerSettings(LedgerLocation Location, LedgerAccount Account, TimeSpan ReservationTtl);

/// <summary>Validates --budget-key, --budget-window, --ledger and --reservation-ttl.</summary>
internal static class LedgerBinder
{
    /// <summary>Null without a budget key (the budget is then per run, in memory).</summary>
    public static LedgerSettings? Bind(
        Option<string> keyOption,
        Option<string> ledgerOption,
        Option<string>? windowOption,
        Option<string>? ttlOption,
        long? limitCents,
        Func<Option<string>, string?> flag,
        Func<string, string?> environment,
        bool keyRequired)
    {
        var (keySource, key) = flag(keyOption) is { } keyFlag
            ? (keyOption.Name, keyFlag)
            : (CliOptions.BudgetKeyEnv, NonEmpty(environment(CliOptions.BudgetKeyEnv)));
        var windowText = windowOption is null ? null : flag(windowOption);
        var ttlText = ttlOption is null ? null : flag(ttlOption);
        if (key is null)
        {
            if (keyRequired)
            {
                throw new UsageException($"{keyOption.Name} is required");
            }
            if (windowText is not null)
            {
                throw new UsageException($"{windowOption!.Name}: '{windowText}' needs a --budget-key (a per-run budget has no window)");
            }
            if (ttlText is not null)
            {
                throw new UsageException($"{ttlOption!.Name}: '{ttlText}' needs a --budget-key (a per-run budget has no reservations to expire)");
            }
            if (flag(ledgerOption) is { } orphanLedger)
            {
                // The environment variable may be set fleet-wide; a flag without a key is a mistake.
                throw new UsageException($"{ledgerOption.Name}: '{orphanLedger}' needs a --budget-key (a per-run budget lives in memory)");
            }
            return null;
        }
        if (!LedgerAccount.IsValidKey(key))
        {
            throw new UsageException($"{keySource}: '{key}' is not a budget key (1 to {LedgerAccount.MaxKeyLength} letters, digits and . _ - / : @ +, starting with a letter or digit)");
        }

        BudgetWindow? window = null;
        if (windowText is not null)
        {
            if (!BudgetWindow.TryParse(windowText, out var parsed) || parsed.IsNone)
            {
                throw new UsageException($"{windowOption!.Name}: '{windowText}' is not a window (a whole number with a unit s, m, h or d: 1h, 24h, 7d)");
            }
            window = parsed;
        }
        var ttl = ttlText is null ? TimeSpan.FromMinutes(15) : ValueParsers.Duration(ttlOption!.Name, ttlText);

        var (ledgerSource, ledgerText) = flag(ledgerOption) is { } ledgerFlag
            ? (ledgerOption.Name, ledgerFlag)
            : (CliOptions.LedgerEnv, NonEmpty(environment(CliOptions.LedgerEnv)));
        LedgerLocation location;
        try
        {
            location = LedgerUriParser.Parse(ledgerText, environment, ledgerSource);
        }
        catch (LedgerUriException ex)
        {
            throw new UsageException(ex.Message);
        }
        // A run or sidecar gives terms (no window = all time); the subcommands administer only (null, null).
        BudgetWindow? terms = limitCents is null ? null : window ?? BudgetWindow.None;
        return new LedgerSettings(location, new LedgerAccount(key, limitCents, terms), ttl);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
