using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using BudgetRun.Cli.CommandLine;
using BudgetRun.Cli.Hosting;
using BudgetRun.Cli.Logging;
using BudgetRun.Cli.Text;
using BudgetRun.Engine;
using BudgetRun.Ledgers;

namespace BudgetRun.Cli.Subcommands;

/// <summary>
/// <c>budget-run history</c>: who spent what, when, from the account's own ledger, oldest first,
/// with totals; <c>--follow</c> keeps printing new entries until SIGINT or SIGTERM (exit 0). Exit
/// codes as <c>status</c>: 66 for an account that does not exist, 69 for an unreachable ledger; it
/// never creates a ledger file.
/// </summary>
internal static class HistoryCommand
{
    private const int PageSize = 1000;
    private static readonly TimeSpan FollowPoll = TimeSpan.FromMilliseconds(500);

    private enum Format
    {
        Text,
        Json,
        Csv,
    }

    public static async Task<int> RunAsync(CliOptions.HistoryCommandOptions command, ParseResult parsed, Func<string, string?> environment)
    {
        string? Flag(Option<string> option) => parsed.GetResult(option) is null ? null : parsed.GetValue(option);
        var settings = LedgerBinder.BindWithKeyArgument(command.BudgetKey, parsed.GetValue(command.KeyArgument), command.Ledger, command.LedgerTimeout,
            Flag, environment);
        var (json, csv, follow) = (parsed.GetValue(command.Json), parsed.GetValue(command.Csv), parsed.GetValue(command.Follow));
        if (json && csv)
        {
            throw new UsageException("--json and --csv: choose one");
        }
        var format = json ? Format.Json : csv ? Format.Csv : Format.Text;
        var now = TimeProvider.System.GetUtcNow();
        var since = Flag(command.Since) is { } sinceText ? ValueParsers.PointInTime(command.Since.Name, sinceText, now) : DateTimeOffset.UnixEpoch;
        var until = Flag(command.Until) is { } untilText ? ValueParsers.PointInTime(command.Until.Name, untilText, now) : (DateTimeOffset?)null;
        if (until <= since)
        {
            throw new UsageException($"--until ({until:yyyy-MM-ddTHH:mm:ssZ}) is not after --since ({since:yyyy-MM-ddTHH:mm:ssZ})");
        }

        await using var ledger = await LedgerComposition.OpenAsync(settings, _ => { }, createLedger: false).ConfigureAwait(false);
        var end = until ?? DateTimeOffset.MaxValue.AddDays(-1);
        var entries = new List<HistoryEntry>();
        string? cursor = null;
        while (true)
        {
            var page = await ledger.HistoryAsync(since, end, cursor, PageSize, CancellationToken.None).ConfigureAwait(false);
            entries.AddRange(page);
            cursor = page.Count > 0 ? page[^1].Cursor : cursor;
            if (page.Count < PageSize)
            {
                break;
            }
        }
        var account = await ledger.StatusAsync(CancellationToken.None).ConfigureAwait(false);
        if (ledger.Terms is null && entries.Count == 0 && !account.KillSwitch)
        {
            throw new AccountNotFoundException(AccountCommands.Missing(settings.Account.Key, ledger.Name));
        }

        using var stdout = StandardStream.Writer(1);
        if (format == Format.Csv)
        {
            await stdout.WriteAsync(CsvHeader).ConfigureAwait(false);
        }
        if (follow)
        {
            foreach (var entry in entries)
            {
                await stdout.WriteAsync(Line(entry, format)).ConfigureAwait(false);
            }
            await FollowAsync(ledger, since, end, cursor, format, stdout).ConfigureAwait(false);
            return ExitCodes.Success;
        }
        var (spent, reserved) = (entries.Sum(e => e.SpentDeltaCents), entries.Sum(e => e.ReservedDeltaCents));
        switch (format)
        {
            case Format.Json:
                var document = new HistoryDocument(settings.Account.Key, since, until ?? now, entries, spent, reserved, account);
                await stdout.WriteAsync(JsonSerializer.Serialize(document, HistoryJsonContext.Default.HistoryDocument) + "\n").ConfigureAwait(false);
                break;
            case Format.Csv:
                foreach (var entry in entries)
                {
                    await stdout.WriteAsync(Line(entry, format)).ConfigureAwait(false);
                }
                break;
            default:
                foreach (var entry in entries)
                {
                    await stdout.WriteAsync(Line(entry, format)).ConfigureAwait(false);
                }
                await stdout.WriteAsync(Totals(entries.Count, spent, reserved, account, ledger.Name)).ConfigureAwait(false);
                break;
        }
        return ExitCodes.Success;
    }

    /// <summary>Polls for entries after the last one printed until SIGINT or SIGTERM.</summary>
    private static async Task FollowAsync(AccountLedger ledger, DateTimeOffset since, DateTimeOffset end, string? cursor, Format format, StreamWriter stdout)
    {
        using var stop = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        while (!stop.IsCancellationRequested)
        {
            IReadOnlyList<HistoryEntry> page;
            try
            {
                page = await ledger.HistoryAsync(since, end, cursor, PageSize, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            foreach (var entry in page)
            {
                await stdout.WriteAsync(Line(entry, format)).ConfigureAwait(false);
                cursor = entry.Cursor;
            }
            if (page.Count < PageSize)
            {
                try
                {
                    await Task.Delay(FollowPoll, TimeProvider.System, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    private const string CsvHeader = "at,budgetKey,kind,bucket,spentDeltaCents,reservedDeltaCents,reservationId,origin,runId,host,pid,user,detail\n";

    private static string Line(HistoryEntry entry, Format format) => format switch
    {
        Format.Json => JsonSerializer.Serialize(entry, HistoryJsonContext.Default.HistoryEntry) + "\n",
        Format.Csv => string.Join(',', new[]
        {
            Time(entry.At), entry.BudgetKey, HistoryKinds.Name(entry.Kind), entry.Bucket, Number(entry.SpentDeltaCents), Number(entry.ReservedDeltaCents),
            entry.ReservationId, entry.Origin, entry.RunId, entry.Host, entry.Pid?.ToString(CultureInfo.InvariantCulture), entry.User, entry.Detail,
        }.Select(Csv)) + "\n",
        _ => TextLine(entry),
    };

    private static string TextLine(HistoryEntry entry)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Time(entry.At)}  {HistoryKinds.Name(entry.Kind),-7}");
        if (entry.Bucket is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"  spent {Signed(entry.SpentDeltaCents),6}  reserved {Signed(entry.ReservedDeltaCents),6}");
        }
        if (entry.ReservationId is { } id)
        {
            text.Append(CultureInfo.InvariantCulture, $"  reservation {Human(id)}");
        }
        if (entry.Origin is { } origin)
        {
            text.Append(CultureInfo.InvariantCulture, $"  from {Human(origin)}");
        }
        text.Append(CultureInfo.InvariantCulture, $"  by {Human(entry.User ?? "?")}@{Human(entry.Host ?? "?")} pid {entry.Pid?.ToString(CultureInfo.InvariantCulture) ?? "?"} run {Human(entry.RunId ?? "?")}");
        if (entry.Detail is { Length: > 0 } detail)
        {
            text.Append(CultureInfo.InvariantCulture, $": {Human(detail)}");
        }
        return text.Append('\n').ToString();
    }

    private static string Totals(int count, long spent, long reserved, AccountStatus account, string ledger) =>
        string.Create(CultureInfo.InvariantCulture,
            $"total: {count} entries, spent {Signed(spent)} cents, reserved {Signed(reserved)} cents; budget '{account.BudgetKey}' in {ledger} now: spent {account.SpentCents} of {(account.BudgetCents is { } limit ? limit.ToString(CultureInfo.InvariantCulture) : "no limit")} cents, reserved {account.ReservedCents} in the current window\n");

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Signed(long value) => value.ToString("+#;-#;0", CultureInfo.InvariantCulture);

    /// <summary>RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.</summary>
    private static string Csv(string? field) =>
        field is null ? "" : field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;

    /// <summary>Control characters of stored text (a kill reason, a host name) never reach a terminal raw.</summary>
    private static string Human(string text) => HumanText.Escape(text);
}

/// <summary>The JSON of <c>history</c>, camelCase like <c>status --json</c>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(HistoryDocument))]
[JsonSerializable(typeof(HistoryEntry))]
internal sealed partial class HistoryJsonContext : JsonSerializerContext;
