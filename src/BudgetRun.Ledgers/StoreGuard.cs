using BudgetRun.Engine.Budget;

namespace BudgetRun.Ledgers;

/// <summary>
/// Runs store steps so that they fail closed the same way everywhere: a fault the store names is
/// counted, reported to <see cref="LedgerOptions.OnFault"/> and thrown as one-line
/// <see cref="LedgerUnavailableException"/>; anything else (a bug) passes through untouched.
/// </summary>
internal sealed class StoreGuard(ILedgerStore store, LedgerOptions options)
{
    private long _faults;

    public long FaultCount => Interlocked.Read(ref _faults);

    /// <summary>Runs one store step; <paramref name="report"/> false counts a fault without reporting it (a repeated poll failure).</summary>
    public async ValueTask<T> RunAsync<T>(LedgerOperation operation, Func<ValueTask<T>> step, bool report = true)
    {
        try
        {
            return await step().ConfigureAwait(false);
        }
        catch (Exception ex) when (store.DescribeFault(ex) is { } reason)
        {
            Interlocked.Increment(ref _faults);
            throw Unavailable(store.Name, operation, reason, ex, report ? options : null);
        }
    }

    /// <summary>
    /// The one-line exception of a failed operation, reported to <see cref="LedgerOptions.OnFault"/> when
    /// options are given. Stores call it while opening, before there is a ledger to count it.
    /// </summary>
    public static LedgerUnavailableException Unavailable(string ledger, LedgerOperation operation, string reason, Exception error, LedgerOptions? report)
    {
        var message = $"ledger {ledger} is unavailable: {reason}";
        report?.OnFault?.Invoke(new LedgerFault(ledger, operation, message, error));
        return new LedgerUnavailableException(message, error);
    }
}
