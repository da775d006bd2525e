using BudgetRun.Engine.Budget;
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
    private const long MaxCents = 1_000_000_000_000;

    public static void Map(IEndpointRouteBuilder endpoints, SidecarState state)
    {
        endpoints.MapGet(ControlEndpoints.MetricsPath, new RequestDelegate(context => MetricsAsync(context, state)));
        endpoints.MapGet(ControlEndpoints.HealthPath, new RequestDelegate(context => HealthAsync(context, state)));
        endpoints.MapGet(ControlEndpoints.StatusPath, new RequestDelegate(context => StatusAsync(context, state)));
        endpoints.MapPost(ReservePath, new RequestDelegate(context => ReserveAsync(context, state)));
        endpoints.MapPost(SettlePath, new RequestDelegate(context => SettleAsync(context, state)));
    }

    private static async Task MetricsAsync(HttpContext context, SidecarState state)
    {
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await state.Metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    private static Task HealthAsync(HttpContext context, SidecarState state) => GuardAsync(context, state, async () =>
    {
            var account = await state.Ledger.StatusAsync(context.RequestAborted).ConfigureAwait(false);
            var reason = account.KillSwitch ? "kill switch engaged" : account.RemainingCents == 0 ? "budget exhausted" : null;
            await HttpJson.WriteAsync(context, reason is null ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable,
                new HealthResponse(reason is null ? "ok" : "unhealthy", reason), ControlJsonContext.Default.HealthResponse).ConfigureAwait(false);
    });

    private static Task StatusAsync(HttpContext context, SidecarState state) => GuardAsync(context, state, async () =>
    {
        var account = await state.Ledger.StatusAsync(context.RequestAborted).ConfigureAwait(false);
        await HttpJson.WriteAsync(context, StatusCodes.Status200OK, new SidecarStatus("serving", state.Workload, account.BudgetKey,
            account.BudgetCents, account.SpentCents, account.ReservedCents, account.RemainingCents, account.WindowEndsAt,
            account.KillSwitch, account.KillReason), SidecarJsonContext.Default.SidecarStatus).ConfigureAwait(false);
    });

    private static async Task ReserveAsync(HttpContext context, SidecarState state)
    {
        if (!await AuthorizedAsync(context, state).ConfigureAwait(false))
        {
            return;
        }
        var (request, error) = await HttpJson.ReadAsync(context, SidecarJsonContext.Default.ReserveRequest).ConfigureAwait(false);
        if (request is null || request.Cents is <= 0 or > MaxCents)
        {
            await HttpJson.ProblemAsync(context, StatusCodes.Status400BadRequest, "bad request",
                error ?? $"cents must be a whole number from 1 to {MaxCents}").ConfigureAwait(false);
            return;
        }
        await GuardAsync(context, state, async () =>
        {
            var result = await state.Ledger.ReserveAsync(request.Cents, context.RequestAborted).ConfigureAwait(false);
            switch (result.Status)
            {
                case ReserveStatus.Reserved:
                    await HttpJson.WriteAsync(context, StatusCodes.Status200OK,
                        new ReserveResponse(result.Id!, result.Cents, result.Account.RemainingCents), SidecarJsonContext.Default.ReserveResponse).ConfigureAwait(false);
                    break;
                case ReserveStatus.Killed:
                    await HttpJson.ProblemAsync(context, StatusCodes.Status423Locked, "kill switch engaged",
                        result.Account.KillReason is { Length: > 0 } reason ? $"budget '{result.Account.BudgetKey}' is stopped: {reason}" : $"budget '{result.Account.BudgetKey}' is stopped").ConfigureAwait(false);
                    break;
                default:
                    await HttpJson.ProblemAsync(context, StatusCodes.Status402PaymentRequired, "budget exhausted",
                        $"{request.Cents} cents do not fit: {result.Account.RemainingCents} of {result.Account.BudgetCents} remain").ConfigureAwait(false);
                    break;
            }
        }).ConfigureAwait(false);
    }

    private static async Task SettleAsync(HttpContext context, SidecarState state)
    {
        if (!await AuthorizedAsync(context, state).ConfigureAwait(false))
        {
            return;
        }
        var (request, error) = await HttpJson.ReadAsync(context, SidecarJsonContext.Default.SettleRequest).ConfigureAwait(false);
        if (request is null || request.Cents is < 0 or > MaxCents || string.IsNullOrEmpty(request.Id) || request.Id.Length > 200)
        {
            await HttpJson.ProblemAsync(context, StatusCodes.Status400BadRequest, "bad request",
                error ?? $"id must be a reservation id and cents a whole number from 0 to {MaxCents}").ConfigureAwait(false);
            return;
        }
        await GuardAsync(context, state, async () =>
        {
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
        }).ConfigureAwait(false);
    }

    private static async Task<bool> AuthorizedAsync(HttpContext context, SidecarState state)
    {
        if (state.ControlToken is null
            || Tokens.Matches(Tokens.FromAuthorizationHeader(context.Request.Headers.Authorization.FirstOrDefault()), state.ControlToken))
        {
            return true;
        }
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await HttpJson.ProblemAsync(context, StatusCodes.Status401Unauthorized, "unauthorized", "a valid bearer token is required").ConfigureAwait(false);
        return false;
    }

    /// <summary>Runs a ledger call; an unreachable ledger answers 503 (fail closed) and is counted.</summary>
    private static async Task<bool> GuardAsync(HttpContext context, SidecarState state, Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
            return false;
        }
        catch (LedgerUnavailableException ex)
        {
            state.Metrics.LedgerError();
            if (!context.Response.HasStarted)
            {
                await HttpJson.ProblemAsync(context, StatusCodes.Status503ServiceUnavailable, "ledger unavailable", ex.Message).ConfigureAwait(false);
            }
            return true;
        }
    }
}

/// <summary>What the sidecar's endpoints act on.</summary>
internal sealed record SidecarState(IAccountLedger Ledger, RunMetrics Metrics, string Workload, string? ControlToken);
