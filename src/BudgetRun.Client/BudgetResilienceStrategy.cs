using Polly;
using Polly.Telemetry;

namespace BudgetRun.Client;

/// <summary>
/// Reserve, run, settle: the budget strategy. A refusal (402, 423, 503, the sidecar unreachable)
/// short-circuits with the typed exception before the callback runs, so nothing is spent. The
/// settle runs whatever the outcome (a call that threw may have been billed), is not cancelled by
/// the caller's token, and is tried three times; if it still fails, the outcome is returned all
/// the same and a <c>BudgetSettleFailed</c> telemetry event is reported (the reservation then
/// expires with its TTL).
/// </summary>
internal sealed class BudgetResilienceStrategy<T> : ResilienceStrategy<T>
{
    private const int SettleTries = 3;
    private static readonly TimeSpan _settlePause = TimeSpan.FromMilliseconds(100);
    private static readonly ResilienceEvent _settleFailed = new(ResilienceEventSeverity.Error, "BudgetSettleFailed");
    private static readonly ResilienceEvent _refused = new(ResilienceEventSeverity.Warning, "BudgetRefused");
    private static readonly ResilienceEvent _pricingFailed = new(ResilienceEventSeverity.Warning, "BudgetPricingFailed");

    private readonly BudgetSidecarClient _client;
    private readonly long _reserveCents;
    private readonly Func<BudgetSettleArguments<T>, ValueTask<long>>? _settleCents;
    private readonly ResilienceStrategyTelemetry _telemetry;
    private readonly TimeProvider _time;

    public BudgetResilienceStrategy(BudgetStrategyOptions<T> options, ResilienceStrategyTelemetry telemetry, TimeProvider time)
    {
        _client = options.Client!;
        _reserveCents = options.ReserveCents;
        _settleCents = options.SettleCents;
        _telemetry = telemetry;
        _time = time;
    }

    protected override async ValueTask<Outcome<T>> ExecuteCore<TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<T>>> callback, ResilienceContext context, TState state)
    {
        var captured = context.ContinueOnCapturedContext;
        BudgetReservation reservation;
        try
        {
            reservation = await _client.ReserveAsync(_reserveCents, context.CancellationToken).ConfigureAwait(captured);
        }
        catch (Exception e)
        {
            var refused = Outcome.FromException<T>(e);
            if (e is BudgetRunException)
            {
                _telemetry.Report(_refused, context, refused, new BudgetSettleArguments<T>(context, refused, _reserveCents));
            }
            return refused;
        }

        Outcome<T> outcome;
        try
        {
            outcome = await callback(context, state).ConfigureAwait(captured);
        }
        catch (Exception e)
        {
            outcome = Outcome.FromException<T>(e);
        }

        var arguments = new BudgetSettleArguments<T>(context, outcome, _reserveCents);
        var cents = await PriceAsync(arguments).ConfigureAwait(captured);
        await SettleAsync(reservation, cents, arguments).ConfigureAwait(captured);
        return outcome;
    }

    private async ValueTask<long> PriceAsync(BudgetSettleArguments<T> arguments)
    {
        if (_settleCents is null)
        {
            return _reserveCents;
        }
        try
        {
            var cents = await _settleCents(arguments).ConfigureAwait(arguments.Context.ContinueOnCapturedContext);
            if (cents is >= 0 and <= BudgetRunHttp.MaxRequestCents)
            {
                return cents;
            }
        }
        catch (Exception)
        {
            // Charged what was reserved, below; the event says so.
        }
        _telemetry.Report(_pricingFailed, arguments.Context, arguments);
        return _reserveCents;
    }

    private async ValueTask SettleAsync(BudgetReservation reservation, long cents, BudgetSettleArguments<T> arguments)
    {
        var captured = arguments.Context.ContinueOnCapturedContext;
        for (var attempt = 1; ; attempt++)
        {
            using var timeout = new CancellationTokenSource(_client.CompletionTimeout, _time);
            try
            {
                await reservation.SettleAsync(cents, timeout.Token).ConfigureAwait(captured);
                return;
            }
            catch (BudgetRunException e) when (e.StatusCode is System.Net.HttpStatusCode.Conflict && attempt > 1)
            {
                return; // an earlier try that timed out was made after all
            }
            catch (Exception e) when (e is BudgetRunException { StatusCode: null or System.Net.HttpStatusCode.ServiceUnavailable } or OperationCanceledException && attempt < SettleTries)
            {
                await Task.Delay(_settlePause, _time, CancellationToken.None).ConfigureAwait(captured);
            }
            catch (Exception e) when (e is BudgetRunException or OperationCanceledException)
            {
                _telemetry.Report(_settleFailed, arguments.Context, arguments);
                return;
            }
        }
    }
}
