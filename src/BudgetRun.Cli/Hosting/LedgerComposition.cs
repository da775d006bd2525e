using BudgetRun.Cli.CommandLine;
using BudgetRun.Engine;
using BudgetRun.Ledgers;

namespace BudgetRun.Cli.Hosting;

/// <summary>Opens a persistent account for a run or the sidecar, and ties its fleet kill switch to the run.</summary>
internal static class LedgerComposition
{
    /// <summary>
    /// Opens the account. <paramref name="onFault"/> hears of failed operations once it is open; a
    /// failure to open is not passed on: it is reported once, as the exit line (69).
    /// </summary>
    public static async ValueTask<AccountLedger> OpenAsync(LedgerSettings settings, Action<LedgerFault> onFault, string? runId = null)
    {
        var opened = false;
        var ledger = await LedgerFactory.OpenAsync(settings.Location, settings.Account, RunIdentity.ForCurrentProcess(runId),
            new LedgerOptions
            {
                ReservationTtl = settings.ReservationTtl,
                BusyTimeout = settings.Timeout ?? LedgerOptions.Default.BusyTimeout,
                RedisTimeout = settings.Timeout ?? LedgerOptions.Default.RedisTimeout,
                OnFault = fault =>
                {
                    if (Volatile.Read(ref opened))
                    {
                        onFault(fault);
                    }
                },
            }).ConfigureAwait(false);
        Volatile.Write(ref opened, true);
        return ledger;
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

    private static string Reason(IAccountLedger ledger, KillSwitchState state) =>
        $"the kill switch of budget '{ledger.Account.Key}' is engaged" + (state.Reason is { Length: > 0 } reason ? $": {reason}" : string.Empty);
}
