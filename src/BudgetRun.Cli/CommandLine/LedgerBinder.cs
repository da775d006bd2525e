using System.CommandLine;
using BudgetRun.Cli.Files;
using BudgetRun.Cli.Hosting;
using BudgetRun.Ledgers;
using BudgetRun.Ledgers.Locations;

namespace BudgetRun.Cli.CommandLine;

/// <summary>
/// A persistent budget account: where it lives, the terms to create it with when it is missing, and
/// how long one operation may wait (null: the ledger's default). <paramref name="LimitGiven"/> and
/// <paramref name="WindowGiven"/>: whether the user said so (a flag or the environment), so that a
/// difference from the stored terms is worth a warning; <paramref name="RequireAccount"/>: never create it.
/// </summary>
internal sealed record LedgerSettings(LedgerLocation Location, LedgerAccount Account, TimeSpan ReservationTtl, TimeSpan? Timeout = null,
    bool LimitGiven = false, bool WindowGiven = false, bool RequireAccount = false)
{
    /// <summary>How long this process's writes keep history entries (<c>--history-retention</c>).</summary>
    public TimeSpan HistoryRetention { get; init; } = LedgerOptions.Default.HistoryRetention;
}

/// <summary>Validates --budget-key, --budget-window, --ledger, --reservation-ttl and --ledger-timeout.</summary>
internal static class LedgerBinder
{
    /// <summary>SQLite's driver counts its busy retries in whole seconds: a shorter timeout could not be kept.</summary>
    public static readonly TimeSpan MinTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Longer than this, a stuck ledger would hold a run (and every retry of it) for too long to be a timeout.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The shortest and longest <c>--history-retention</c>.</summary>
    public static readonly (TimeSpan Min, TimeSpan Max) HistoryRetentionRange = (TimeSpan.FromHours(1), TimeSpan.FromDays(3650));

    /// <summary><paramref name="settings"/> with <c>--history-retention</c> when given (a usage error without a budget key).</summary>
    public static LedgerSettings? WithHistoryRetention(LedgerSettings? settings, Option<string> option, Func<Option<string>, string?> flag)
    {
        if (flag(option) is not { } text)
        {
            return settings;
        }
        if (settings is null)
        {
            throw new UsageException($"{option.Name}: '{text}' needs a --budget-key (a per-run budget keeps no history)");
        }
        return settings with { HistoryRetention = ValueParsers.LongDuration(option.Name, text, HistoryRetentionRange.Min, HistoryRetentionRange.Max) };
    }

    /// <summary>
    /// The ledger of a subcommand that also takes the key as a positional KEY (<c>budget show K</c>,
    /// <c>history K</c>): the key as <c>--budget-key</c>, as <paramref name="positional"/>, or from
    /// <c>BUDGET_RUN_BUDGET_KEY</c>; a flag and a different positional key are a usage error.
    /// </summary>
    public static LedgerSettings BindWithKeyArgument(Option<string> keyOption, string? positional, Option<string> ledgerOption,
        Option<string>? timeoutOption, Func<Option<string>, string?> flag, Func<string, string?> environment)
    {
        if (positional is not null && flag(keyOption) is { } given && given != positional)
        {
            throw new UsageException($"{keyOption.Name} '{given}' and the key '{positional}' disagree: give the key once");
        }
        string? KeyFlag(Option<string> option) => option == keyOption ? flag(option) ?? positional : flag(option);
        return Bind(keyOption, ledgerOption, null, null, timeoutOption, limitCents: null, KeyFlag, environment, keyRequired: true)!;
    }

    /// <summary>Null without a budget key (the budget is then per run, in memory).</summary>
    public static LedgerSettings? Bind(
        Option<string> keyOption,
        Option<string> ledgerOption,
        Option<string>? windowOption,
        Option<string>? ttlOption,
        Option<string>? timeoutOption,
        long? limitCents,
        Func<Option<string>, string?> flag,
        Func<string, string?> environment,
        bool keyRequired,
        bool limitGiven = false,
        bool requireAccount = false)
    {
        var (keySource, key) = flag(keyOption) is { } keyFlag
            ? (keyOption.Name, keyFlag)
            : (CliOptions.BudgetKeyEnv, NonEmpty(environment(CliOptions.BudgetKeyEnv)));
        var windowText = windowOption is null ? null : flag(windowOption);
        var ttlText = ttlOption is null ? null : flag(ttlOption);
        var timeoutText = timeoutOption is null ? null : flag(timeoutOption);
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
            if (timeoutText is not null)
            {
                throw new UsageException($"{timeoutOption!.Name}: '{timeoutText}' needs a --budget-key (a per-run budget uses no ledger)");
            }
            if (requireAccount)
            {
                throw new UsageException("--require-account needs a --budget-key (a per-run budget has no account)");
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
            throw new UsageException($"{keySource}: '{key}' is not a budget key ({LedgerAccount.KeyRule})");
        }

        BudgetWindow? window = null;
        if (windowText is not null)
        {
            if (!BudgetWindow.TryParse(windowText, out var parsed) || parsed.IsNone)
            {
                throw new UsageException($"{windowOption!.Name}: '{windowText}' is not a window (day, week, month, or a whole number with a unit s, m, h or d: 1h, 24h, 7d)");
            }
            window = parsed;
        }
        var ttl = ttlText is null ? LedgerOptions.Default.ReservationTtl : ValueParsers.Duration(ttlOption!.Name, ttlText);
        TimeSpan? timeout = null;
        if (timeoutText is not null)
        {
            timeout = ValueParsers.Duration(timeoutOption!.Name, timeoutText);
            if (timeout < MinTimeout || timeout > MaxTimeout)
            {
                throw new UsageException($"{timeoutOption.Name}: '{timeoutText}' is not from 1s to 5m");
            }
        }

        var location = Location(ledgerOption, flag, environment);
        // A run or sidecar gives terms (no window = all time); the subcommands administer only (null, null).
        BudgetWindow? terms = limitCents is null ? null : window ?? BudgetWindow.None;
        return new LedgerSettings(location, new LedgerAccount(key, limitCents, terms), ttl, timeout,
            limitGiven, window is not null, requireAccount);
    }

    /// <summary><c>--ledger</c> (or <c>BUDGET_RUN_LEDGER</c>, or the default SQLite file).</summary>
    public static LedgerLocation Location(Option<string> ledgerOption, Func<Option<string>, string?> flag, Func<string, string?> environment)
    {
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
        if (location is not SqliteLedgerLocation)
        {
            // Before anything is opened or said: the lean binary becomes budget-run-net here.
            NetworkCompanion.Require(location is RedisLedgerLocation ? "a Redis ledger" : "a PostgreSQL ledger");
        }
        // SQLite reads its file itself (no size bound: it is a database), but only a regular file or
        // a missing one: a FIFO would block it, a device is no database.
        if (location is SqliteLedgerLocation sqlite && UserFile.WhyNotReplaceable(sqlite.Path) is { } why)
        {
            throw new UsageException($"{(ledgerText is null ? "the default ledger" : ledgerSource)}: {why}");
        }
        return location;
    }

    /// <summary><c>--ledger-timeout</c>; null: the ledger's default.</summary>
    public static TimeSpan? Timeout(Option<string> timeoutOption, Func<Option<string>, string?> flag)
    {
        if (flag(timeoutOption) is not { } timeoutText)
        {
            return null;
        }
        var timeout = ValueParsers.Duration(timeoutOption.Name, timeoutText);
        return timeout < MinTimeout || timeout > MaxTimeout
            ? throw new UsageException($"{timeoutOption.Name}: '{timeoutText}' is not from 1s to 5m")
            : timeout;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
