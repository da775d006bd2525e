using System.CommandLine;
using System.Globalization;
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
/// <c>status</c>, <c>kill</c> and <c>resume</c>: administer a persistent account. They exit 0 when
/// done, 2 on a usage error, 69 when the ledger cannot be reached, and 66 (status, resume) when the
/// account does not exist; kill and resume are idempotent. <c>kill</c> of an unknown key still engages
/// its switch (an incident cannot wait for a check) but warns; <c>status</c> and <c>resume</c> never
/// create a ledger file.
/// </summary>
internal static class AccountCommands
{
    public static async Task<int> RunAsync(CliOptions.AccountCommandOptions command, ParseResult parsed, Func<string, string?> environment)
    {
        string? Flag(Option<string> option) => parsed.GetResult(option) is null ? null : parsed.GetValue(option);
        var settings = LedgerBinder.Bind(command.BudgetKey, command.Ledger, null, null, command.LedgerTimeout, limitCents: null, Flag, environment, keyRequired: true)!;
        var reason = command.Reason is null ? null : Flag(command.Reason);
        if (reason is { Length: > Limits.MaxReasonLength })
        {
            throw new UsageException($"--reason: longer than {Limits.MaxReasonLength} characters");
        }

        var kill = command.Command.Name == CliOptions.KillCommand;
        await using var ledger = await LedgerComposition.OpenAsync(settings, _ => { }, createLedger: kill).ConfigureAwait(false);
        using var stdout = StandardStream.Writer(1);
        var key = settings.Account.Key;
        var unknown = ledger.Terms is null;
        if (unknown && !kill && !(await ledger.ReadKillSwitchAsync(CancellationToken.None).ConfigureAwait(false)).Engaged)
        {
            throw new AccountNotFoundException(Missing(key, ledger.Name) + (command.Command.Name == CliOptions.ResumeCommand ? ": nothing to resume" : ""));
        }
        if (unknown)
        {
            StderrLine.Warning(kill
                ? $"warning: no run has used budget '{key}' in {ledger.Name} (no such account: a typo?); its kill switch is engaged anyway, so a run that starts with this key stops"
                : $"warning: no run has used budget '{key}' in {ledger.Name} (no such account); only its kill switch was set");
        }
        switch (command.Command.Name)
        {
            case CliOptions.KillCommand:
                var engaged = await ledger.KillAsync(reason, CancellationToken.None).ConfigureAwait(false);
                await stdout.WriteLineAsync(HumanText.Escape(engaged
                    ? $"kill switch engaged for budget '{key}' in {ledger.Name}"
                    : $"kill switch was already engaged for budget '{key}' in {ledger.Name}")).ConfigureAwait(false);
                return ExitCodes.Success;
            case CliOptions.ResumeCommand:
                var released = await ledger.ResumeAsync(CancellationToken.None).ConfigureAwait(false);
                await stdout.WriteLineAsync(HumanText.Escape(released
                    ? $"kill switch released for budget '{key}' in {ledger.Name}"
                    : $"kill switch was not engaged for budget '{key}' in {ledger.Name}")).ConfigureAwait(false);
                return ExitCodes.Success;
            default:
                var status = await ledger.StatusAsync(CancellationToken.None).ConfigureAwait(false);
                var json = command.Json is not null && parsed.GetValue(command.Json);
                await stdout.WriteAsync(json ? ToJson(status) : ToText(status, ledger.Name)).ConfigureAwait(false);
                return ExitCodes.Success;
        }
    }

    /// <summary>The one message of an account that does not exist.</summary>
    public static string Missing(string key, string ledger) =>
        $"budget '{key}' does not exist in {ledger} (no run has used it and 'budget set' has not created it)";

    private static string ToJson(AccountStatus status) =>
        JsonSerializer.Serialize(status, AccountJsonContext.Default.AccountStatus) + "\n";

    private static string ToText(AccountStatus status, string ledger)
    {
        static string Cents(long? cents) => cents is { } value ? value.ToString(CultureInfo.InvariantCulture) + " cents" : "unknown";
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"budget key:   {HumanText.Escape(status.BudgetKey)}\n");
        text.Append(CultureInfo.InvariantCulture, $"ledger:       {HumanText.Escape(ledger)}\n");
        text.Append(CultureInfo.InvariantCulture, $"limit:        {Cents(status.BudgetCents)}\n");
        text.Append(CultureInfo.InvariantCulture, $"spent:        {Cents(status.SpentCents)}\n");
        text.Append(CultureInfo.InvariantCulture, $"reserved:     {Cents(status.ReservedCents)}\n");
        text.Append(CultureInfo.InvariantCulture, $"remaining:    {Cents(status.RemainingCents)}\n");
        text.Append(CultureInfo.InvariantCulture, $"window ends:  {(status.WindowEndsAt is { } end ? end.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) : "never (no window)")}\n");
        text.Append(CultureInfo.InvariantCulture, $"kill switch:  {(status.KillSwitch ? "engaged" : "off")}\n");
        if (status.KillSwitch)
        {
            text.Append(CultureInfo.InvariantCulture, $"kill reason:  {(status.KillReason is { } given ? HumanText.Escape(given) : "(none given)")}\n");
        }
        // The levels above that have terms: a reservation must fit each of them too.
        foreach (var level in status.Levels ?? [])
        {
            text.Append(CultureInfo.InvariantCulture,
                $"level:        {level.BudgetKey}: limit {Cents(level.BudgetCents)}, spent {Cents(level.SpentCents)}, reserved {Cents(level.ReservedCents)}, remaining {Cents(level.RemainingCents)}{(level.KillSwitch ? ", kill switch engaged" : "")}\n");
        }
        return text.ToString();
    }
}

/// <summary>The account status in the shared camelCase vocabulary (status --json, /status, the sidecar).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(AccountStatus))]
internal sealed partial class AccountJsonContext : JsonSerializerContext;
