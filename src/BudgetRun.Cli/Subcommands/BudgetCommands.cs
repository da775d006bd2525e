using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using BudgetRun.Cli.CommandLine;
using BudgetRun.Cli.Hosting;
using BudgetRun.Cli.Logging;
using BudgetRun.Cli.Text;
using BudgetRun.Engine;
using BudgetRun.Ledgers;
using BudgetRun.Ledgers.Locations;

namespace BudgetRun.Cli.Subcommands;

/// <summary>
/// <c>budget set|show|list</c>: operators own an account's terms. Same ledger flags, variables and
/// exit codes as <c>status</c> (0, 2 usage, 69 unreachable ledger, 66 no such account for
/// <c>show</c>). <c>show</c> and <c>list</c> never create a ledger file.
/// </summary>
internal static class BudgetCommands
{
    public static async Task<int> RunAsync(CliOptions.BudgetCommandOptions command, ParseResult parsed, Func<string, string?> environment)
    {
        string? Flag(Option<string> option) => parsed.GetResult(option) is null ? null : parsed.GetValue(option);
        var json = parsed.GetValue(command.Json);
        var location = LedgerBinder.Location(command.Ledger, Flag, environment);
        var timeout = LedgerBinder.Timeout(command.LedgerTimeout, Flag);
        using var stdout = StandardStream.Writer(1);
        if (command.Prefix is not null)
        {
            return await ListAsync(location, Flag(command.Prefix) ?? "", timeout, json, stdout).ConfigureAwait(false);
        }

        var key = KeyOf(command, parsed, Flag, environment);
        var settings = new LedgerSettings(location, new LedgerAccount(key, null, null), LedgerOptions.Default.ReservationTtl, timeout);
        if (command.MaxCostCents is null)
        {
            await using var shown = await LedgerComposition.OpenAsync(settings, _ => { }, createLedger: false).ConfigureAwait(false);
            if (shown.Terms is not { } terms)
            {
                throw new AccountNotFoundException(AccountCommands.Missing(key, shown.Name));
            }
            var status = await shown.StatusAsync(CancellationToken.None).ConfigureAwait(false);
            var view = new BudgetView(key, terms.LimitCents, terms.Window.ToString(), terms.Window.TimeZoneId, status.SpentCents,
                status.ReservedCents, status.RemainingCents ?? 0, status.WindowEndsAt, status.KillSwitch, status.KillReason);
            await stdout.WriteAsync(json ? JsonSerializer.Serialize(view, BudgetJsonContext.Default.BudgetView) + "\n" : ToText(view, shown.Name))
                .ConfigureAwait(false);
            return ExitCodes.Success;
        }

        // Everything the user typed is checked before the ledger is touched.
        var limitText = Flag(command.MaxCostCents) ?? throw new UsageException($"budget set needs {command.MaxCostCents.Name} N");
        var limit = ValueParsers.WholeNumber(command.MaxCostCents.Name, limitText, 0, Limits.MaxFlagCents);
        BudgetWindow? window = null;
        if (Flag(command.Window!) is { } windowText)
        {
            if (windowText.Equals("none", StringComparison.OrdinalIgnoreCase))
            {
                window = BudgetWindow.None;
            }
            else if (BudgetWindow.TryParse(windowText, out var parsedWindow))
            {
                window = parsedWindow;
            }
            else
            {
                throw new UsageException($"{command.Window!.Name}: '{windowText}' is not a window (day, week, month, none, or a whole number with a unit s, m, h or d: 1h, 24h, 7d)");
            }
        }
        var zone = Flag(command.TimeZone!);
        if (zone is not null)
        {
            if (!TimeZones.TryFind(zone, out _))
            {
                throw new UsageException($"{command.TimeZone!.Name}: '{zone}' is not a time zone this system knows (an IANA name such as Europe/Berlin or America/New_York; the zones come from the system's tzdata)");
            }
            if (window is { Calendar: CalendarUnit.None })
            {
                throw new UsageException($"{command.TimeZone!.Name}: a {window} window has no time zone (fixed windows are aligned to the Unix epoch); use day, week or month");
            }
        }

        await using var ledger = await LedgerComposition.OpenAsync(settings, _ => { }).ConfigureAwait(false);
        var current = ledger.Terms;
        var chosen = window ?? current?.Window ?? BudgetWindow.None;
        if (chosen.Calendar != CalendarUnit.None)
        {
            // A calendar window keeps the account's zone unless --timezone names another.
            chosen = chosen.InZone(zone ?? (window is null ? chosen.TimeZoneId : current?.Window.TimeZoneId ?? chosen.TimeZoneId));
        }
        else if (zone is not null)
        {
            throw new UsageException($"{command.TimeZone!.Name}: budget '{key}' has a {chosen} window, which has no time zone; give --budget-window day, week or month too");
        }
        var newTerms = new AccountTerms(limit, chosen);
        var before = await ledger.SetTermsAsync(newTerms, CancellationToken.None).ConfigureAwait(false);
        if (json)
        {
            var after = await ledger.StatusAsync(CancellationToken.None).ConfigureAwait(false);
            var view = new BudgetView(key, limit, chosen.ToString(), chosen.TimeZoneId, after.SpentCents, after.ReservedCents,
                after.RemainingCents ?? 0, after.WindowEndsAt, after.KillSwitch, after.KillReason);
            await stdout.WriteAsync(JsonSerializer.Serialize(view, BudgetJsonContext.Default.BudgetView) + "\n").ConfigureAwait(false);
        }
        else
        {
            await stdout.WriteLineAsync(HumanText.Escape($"budget '{key}' in {ledger.Name}: {newTerms} ({(before is null ? "new account" : $"was {before}")})"))
                .ConfigureAwait(false);
        }
        return ExitCodes.Success;
    }

    private static async Task<int> ListAsync(LedgerLocation location, string prefix, TimeSpan? timeout, bool json, TextWriter stdout)
    {
        if (location is SqliteLedgerLocation { Path: var path } && !File.Exists(path))
        {
            StderrLine.Warning($"ledger {location.DisplayName} does not exist yet: no accounts");
        }
        var options = new LedgerOptions
        {
            BusyTimeout = timeout ?? LedgerOptions.Default.BusyTimeout,
            RedisTimeout = timeout ?? LedgerOptions.Default.RedisTimeout,
            PostgresTimeout = timeout ?? LedgerOptions.Default.PostgresTimeout,
        };
        var entries = (await LedgerFactory.ListAccountsAsync(location, prefix, options).ConfigureAwait(false))
            .Select(entry => Entry(entry))
            .ToArray();
        if (json)
        {
            await stdout.WriteAsync(JsonSerializer.Serialize(entries, BudgetJsonContext.Default.BudgetListEntryArray) + "\n").ConfigureAwait(false);
            return ExitCodes.Success;
        }
        foreach (var entry in entries)
        {
            var terms = entry.BudgetCents is { } cents
                ? string.Create(CultureInfo.InvariantCulture, $"{cents} cents per {entry.Window}{(entry.TimeZone is { } tz ? " in " + tz : "")}")
                : "no terms (only a kill switch was set)";
            // Tabs separate the fields; within a field every control character is escaped.
            await stdout.WriteLineAsync($"{HumanText.Escape(entry.BudgetKey)}\t{HumanText.Escape(terms)}{(entry.KillSwitch ? "\tkilled" : "")}").ConfigureAwait(false);
        }
        return ExitCodes.Success;
    }

    private static BudgetListEntry Entry(AccountEntry entry)
    {
        AccountTerms? terms;
        try
        {
            terms = entry.Config.ToTerms();
        }
        catch (InvalidDataException)
        {
            // A zone this system does not know: list it as stored rather than fail the whole listing.
            return new BudgetListEntry(entry.Key, entry.Config.LimitCents, entry.Config.Calendar, entry.Config.TimeZone, entry.Killed);
        }
        return new BudgetListEntry(entry.Key, terms?.LimitCents, terms?.Window.ToString(), terms?.Window.TimeZoneId, entry.Killed);
    }

    private static string KeyOf(CliOptions.BudgetCommandOptions command, ParseResult parsed, Func<Option<string>, string?> flag, Func<string, string?> environment) =>
        LedgerBinder.BindWithKeyArgument(command.BudgetKey, command.KeyArgument is null ? null : parsed.GetValue(command.KeyArgument), command.Ledger,
            null, flag, environment).Account.Key;

    private static string ToText(BudgetView view, string ledger)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"budget key:   {HumanText.Escape(view.BudgetKey)}\n");
        text.Append(CultureInfo.InvariantCulture, $"ledger:       {HumanText.Escape(ledger)}\n");
        text.Append(CultureInfo.InvariantCulture, $"limit:        {view.BudgetCents} cents\n");
        text.Append(CultureInfo.InvariantCulture, $"window:       {view.Window}{(view.TimeZone is { } tz ? " in " + HumanText.Escape(tz) : view.Window == "none" ? " (the limit is for all time)" : " (epoch-aligned)")}\n");
        text.Append(CultureInfo.InvariantCulture, $"spent:        {view.SpentCents} cents\n");
        text.Append(CultureInfo.InvariantCulture, $"reserved:     {view.ReservedCents} cents\n");
        text.Append(CultureInfo.InvariantCulture, $"remaining:    {view.RemainingCents} cents\n");
        text.Append(CultureInfo.InvariantCulture, $"window ends:  {(view.WindowEndsAt is { } end ? end.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) : "never (no window)")}\n");
        text.Append(CultureInfo.InvariantCulture, $"kill switch:  {(view.KillSwitch ? "engaged" : "off")}\n");
        return text.ToString();
    }
}
