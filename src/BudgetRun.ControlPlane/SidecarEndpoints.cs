using BudgetRun.Engine;
using BudgetRun.Ledgers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace BudgetRun.ControlPlane;

/// <summary>
/// The sidecar (<c>budget-run serve</c>): a worker asks before each paid call. <c>/v1/reserve</c>
/// answers 200 with an id, 402 when the cents do not fit, 423 while the account's kill switch is
/// engaged; <c>/v1/settle</c> replaces the reservation with the real cost (200), 409 for a second
/// settle, 404 for an unknown id. Both need the control token when one is configured.
/// </summary>
internal static class SidecarEndpoints
{
    public const string ReservePath = "/v1/reserve";
    public const string SettlePath = "/v1/settle";

    public static void Map(IEndpointRouteBuilder endpoints, SidecarState state)
    {
        SharedEndpoints.MapMetrics(endpoints, state.Metrics.Registry);
        SharedEndpoints.MapHealth(endpoints, cancel => UnhealthyReasonAsync(state, cancel));
        endpoints.MapGet(SharedEndpoints.StatusPath, new RequestDelegate(context => StatusAsync(context, state)));
        endpoints.MapPost(ReservePath, new RequestDelegate(context => ReserveAsync(context, state)));
        endpoints.MapPost(SettlePath, new RequestDelegate(context => SettleAsync(context, state)));
    }

    private static async ValueTask<string?> UnhealthyReasonAsync(SidecarState state, CancellationToken cancel)
    {
        var account = await state.Ledger.StatusAsync(cancel).ConfigureAwait(false);
        return account.KillSwitch ? "kill switch engaged" : account.RemainingCents == 0 ? "budget exhausted" : null;
    }

    private static async Task StatusAsync(HttpContext context, SidecarState state)
    {
        var account = await state.Ledger.StatusAsync(context.RequestAborted).ConfigureAwait(false);
        await HttpJson.WriteAsync(context, StatusCodes.Status200OK, new SidecarStatus("serving", state.Workload, account.BudgetKey,
            account.BudgetCents, account.SpentCents, account.ReservedCents, account.RemainingCents, account.WindowEndsAt,
            account.KillSwitch, account.KillReason)
        { Levels = account.Levels }, SidecarJsonContext.Default.SidecarStatus).ConfigureAwait(false);
    }

    private static async Task ReserveAsync(HttpContext context, SidecarState state)
    {
        if (state.ControlToken is not null && !await BearerAuth.RequireAsync(context, state.ControlToken).ConfigureAwait(false))
        {
            return;
        }
        var (request, error) = await HttpJson.ReadAsync(context, SidecarJsonContext.Default.ReserveRequest).ConfigureAwait(false);
        if (request is null || request.Cents is <= 0 or > Limits.MaxRequestCents)
        {
            await HttpJson.ProblemAsync(context, StatusCodes.Status400BadRequest, "bad request",
                error ?? $"cents must be a whole number from 1 to {Limits.MaxRequestCents}").ConfigureAwait(false);
            return;
        }
        var result = await state.Ledger.ReserveAsync(request.Cents, context.RequestAborted).ConfigureAwait(false);
        switch (result.Status)
        {
            case ReserveStatus.Reserved:
                await HttpJson.WriteAsync(context, StatusCodes.Status200OK,
                    new ReserveResponse(result.Id!, result.Cents, result.Account.RemainingCents), SidecarJsonContext.Default.ReserveResponse).ConfigureAwait(false);
                break;
            case ReserveStatus.Killed:
                // The level whose switch is engaged: the account's own, or one above it (it stops every account below).
                var stopped = result.DecidedBy ?? result.Account.BudgetKey;
                await HttpJson.ProblemAsync(context, StatusCodes.Status423Locked, "kill switch engaged",
                    result.Account.KillReason is { Length: > 0 } reason ? $"budget '{stopped}' is stopped: {reason}" : $"budget '{stopped}' is stopped").ConfigureAwait(false);
                break;
            default:
                // The tightest level that refused: the account's own, or one above it.
                var refusing = (result.Account.Levels ?? []).FirstOrDefault(level => level.BudgetKey == result.DecidedBy) ?? result.Account;
                var where = refusing == result.Account ? "" : $" in budget '{refusing.BudgetKey}'";
                await HttpJson.ProblemAsync(context, StatusCodes.Status402PaymentRequired, "budget exhausted",
                    $"{request.Cents} cents do not fit: {refusing.RemainingCents} of {refusing.BudgetCents} remain{where}").ConfigureAwait(false);
                break;
        }
    }

    private static async Task SettleAsync(HttpContext context, SidecarState state)
    {
        if (state.ControlToken is not null && !await BearerAuth.RequireAsync(context, state.ControlToken).ConfigureAwait(false))
        {
            return;
        }
        var (request, error) = await HttpJson.ReadAsync(context, SidecarJsonContext.Default.SettleRequest).ConfigureAwait(false);
        if (request is null || request.Cents is < 0 or > Limits.MaxRequestCents || string.IsNullOrEmpty(request.Id) || request.Id.Length > Limits.MaxReservationIdLength)
        {
            await HttpJson.ProblemAsync(context, StatusCodes.Status400BadRequest, "bad request",
                error ?? $"id must be a reservation id and cents a whole number from 0 to {Limits.MaxRequestCents}").ConfigureAwait(false);
            return;
        }
        var outcome = await state.Ledger.SettleByIdAsync(request.Id, request.Cents, context.RequestAborted).ConfigureAwait(false);
        switch (outcome)
        {
            case SettleOutcome.Settled:
                state.Metrics.Spent(request.Cents);
                var account = await state.Ledger.StatusAsync(context.RequestAborted).ConfigureAwait(false);
                await HttpJson.WriteAsync(context, StatusCodes.Status200OK,
                    new SettleResponse(request.Id, request.Cents, account.SpentCents, account.RemainingCents), SidecarJsonContext.Default.SettleResponse).ConfigureAwait(false);
                break;
            case SettleOutcome.AlreadySettled:
                await HttpJson.ProblemAsync(context, StatusCodes.Status409Conflict, "already settled", $"reservation '{request.Id}' was already settled or released").ConfigureAwait(false);
                break;
            default:
                await HttpJson.ProblemAsync(context, StatusCodes.Status404NotFound, "not found", $"no reservation '{request.Id}' in this budget").ConfigureAwait(false);
                break;
        }
    }
}
