using BudgetRun.Cli.CommandLine;
using BudgetRun.Engine;
using BudgetRun.Engine.Budget;
using BudgetRun.Ledgers;
using Serilog;

namespace BudgetRun.Cli.Hosting;

/// <summary>Opens a persistent account for a run or the sidecar, and ties its fleet kill switch to the run.</summary>
internal static class LedgerComposition
{
    /// <summary>
    /// Opens the account. <paramref name="onFault"/> hears of failed operations once it is open; a
    /// failure to open is not passed on: it is reported once, as the exit line (69).
    /// </summary>
    /// <exception cref="AccountNotFoundException">The account is missing and <c>--require-account</c> (or, with <paramref name="createLedger"/> false, the SQLite file is missing).</exception>
    public static async ValueTask<AccountLedger> OpenAsync(LedgerSettings settings, Action<LedgerFault> onFault, string? runId = null,
        bool createLedger = true)
    {
        var opened = false;
        AccountLedger ledger;
        try
        {
            ledger = await OpenCoreAsync(settings, fault =>
            {
                if (Volatile.Read(ref opened))
                {
                    onFault(fault);
                }
            }, runId, createLedger).ConfigureAwait(false);
        }
        catch (AccountNotFoundException ex) when (settings.RequireAccount && settings.Account.LimitCents is not null)
        {
            throw new AccountNotFoundException(
                $"{ex.Message} and --require-account forbids creating it (create it with 'budget-run budget set --budget-key {settings.Account.Key} --max-cost-cents N')");
        }
        Volatile.Write(ref opened, true);
        return ledger;
    }

    /// <summary>
    /// A run's budget in a shared account: the account's own terms decide, and the run's
    /// <c>--max-cost-cents</c>, when given, is a cap of this run's inside them. Says once what differs.
    /// </summary>
    public static IBudgetLedger ForRun(AccountLedger ledger, LedgerSettings settings, long runCapCents, ILogger log)
    {
        WarnAboutTerms(ledger, settings, serve: false, log);
        return settings.LimitGiven ? new CappedBudgetLedger(ledger, runCapCents) : ledger;
    }

    /// <summary>One line when the account was created, one warning per flag that differs from the account's stored terms.</summary>
    public static void WarnAboutTerms(AccountLedger ledger, LedgerSettings settings, bool serve, ILogger log)
    {
        if (ledger.Terms is not { } terms)
        {
            return;
        }
        var key = settings.Account.Key;
        if (ledger.Created)
        {
            log.Information("budget {BudgetKey} created in {Ledger}: {LimitCents} cents per window {Window}", key, ledger.Name, terms.LimitCents, terms.Window.Describe());
            return;
        }
        if (settings.LimitGiven && settings.Account.LimitCents is { } asked && asked != terms.LimitCents)
        {
            if (serve)
            {
                log.Warning("--max-cost-cents {Asked} differs from budget {BudgetKey}'s limit of {LimitCents} cents: the account's limit applies (serve only uses the flag to create a missing account; change the limit with 'budget-run budget set')",
                    asked, key, terms.LimitCents);
            }
            else
            {
                log.Warning("--max-cost-cents {Asked} differs from budget {BudgetKey}'s limit of {LimitCents} cents: the account's limit applies, and {Asked} is this run's own cap inside it",
                    asked, key, terms.LimitCents, asked);
            }
        }
        if (settings.WindowGiven && settings.Account.Window is { } window && window != terms.Window)
        {
            log.Warning("--budget-window {Asked} differs from budget {BudgetKey}'s window {Window}: the account's window applies",
                window.ToString(), key, terms.Window.Describe());
        }
    }

    private static async ValueTask<AccountLedger> OpenCoreAsync(LedgerSettings settings, Action<LedgerFault> onFault, string? runId, bool createLedger)
    {
        return await LedgerFactory.OpenAsync(settings.Location, settings.Account, RunIdentity.ForCurrentProcess(runId),
            new LedgerOptions
            {
                ReservationTtl = settings.ReservationTtl,
                HistoryRetention = settings.HistoryRetention,
                BusyTimeout = settings.Timeout ?? LedgerOptions.Default.BusyTimeout,
                RedisTimeout = settings.Timeout ?? LedgerOptions.Default.RedisTimeout,
                PostgresTimeout = settings.Timeout ?? LedgerOptions.Default.PostgresTimeout,
                OnFault = onFault,
            }, requireAccount: settings.RequireAccount, createLedger: createLedger).ConfigureAwait(false);
    }

    /// <summary>
    /// A fleet kill seen by any operation or by the watch stops the run with the kill switch's exit
    /// code (77); one already engaged stops it before its first attempt.
    /// </summary>
    public static async ValueTask<IAsyncDisposable> WireKillSwitchAsync(IAccountLedger ledger, RunControl control)
    {
        ledger.KillSwitchChanged += (_, state) =>
        {
            if (state.Engaged)
            {
                control.RequestStop(StopReason.KillSwitch, Reason(ledger, state));
            }
        };
        var current = await ledger.ReadKillSwitchAsync(CancellationToken.None).ConfigureAwait(false);
        if (current.Engaged)
        {
            control.RequestStop(StopReason.KillSwitch, Reason(ledger, current));
        }
        return await ledger.WatchKillSwitchAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Names the level whose switch it is: the run's account, or a level above it (<c>acme</c> stops <c>acme/nightly</c>).</summary>
    private static string Reason(IAccountLedger ledger, KillSwitchState state) =>
        $"the kill switch of budget '{state.Account ?? ledger.Account.Key}' is engaged" + (state.Reason is { Length: > 0 } reason ? $": {reason}" : string.Empty);
}
