using BudgetRun.Engine;
using BudgetRun.Engine.Budget;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace BudgetRun.ControlPlane;

/// <summary>
/// The control endpoints. Paths are a contract (README, examples/kubernetes, tests). Handlers are
/// plain <see cref="RequestDelegate"/>s: no reflection, nothing for the trimmer to lose.
/// </summary>
internal static class ControlEndpoints
{
    public const string MetricsPath = "/metrics";
    public const string HealthPath = "/healthz";
    public const string StatusPath = "/status";
    public const string KillPath = "/kill";
    public const string CostPath = "/cost";

    public static void Map(IEndpointRouteBuilder endpoints, ControlPlaneState state)
    {
        endpoints.MapGet(MetricsPath, new RequestDelegate(context => MetricsAsync(context, state)));
        endpoints.MapGet(HealthPath, new RequestDelegate(context => HealthAsync(context, state)));
        endpoints.MapGet(StatusPath, new RequestDelegate(context => StatusAsync(context, state)));
        endpoints.MapPost(KillPath, new RequestDelegate(context => KillAsync(context, state)));
        endpoints.MapPost(CostPath, new RequestDelegate(context => CostAsync(context, state)));
    }

    private static async Task MetricsAsync(HttpContext context, ControlPlaneState state)
    {
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await state.Metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task HealthAsync(HttpContext context, ControlPlaneState state)
    {
        var reason = await UnhealthyReasonAsync(state, context.RequestAborted).ConfigureAwait(false);
        await HttpJson.WriteAsync(context, reason is null ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable,
            new HealthResponse(reason is null ? "ok" : "unhealthy", reason), ControlJsonContext.Default.HealthResponse).ConfigureAwait(false);
    }

    /// <summary>Null while supervising normally; the reason once the kill switch is engaged or the budget is spent.</summary>
    private static async Task<string?> UnhealthyReasonAsync(ControlPlaneState state, CancellationToken cancel)
    {
        if (state.Control.Reason == StopReason.KillSwitch)
        {
            return "kill switch engaged";
        }
        if (state.Control.Reason == StopReason.BudgetExhausted)
        {
            return "budget exhausted";
        }
        var budget = await state.Ledger.SnapshotAsync(cancel).ConfigureAwait(false);
        var running = state.Status.Snapshot().ChildPid is not null;
        var cost = Math.Max(1, state.Supervisor.CostPerAttemptCents);
        return !running && budget.RemainingCents < cost ? "budget exhausted" : null;
    }

    private static async Task StatusAsync(HttpContext context, ControlPlaneState state)
    {
        var (phase, attempt, childPid, nextAttemptAt) = state.Status.Snapshot();
        var budget = await state.Ledger.SnapshotAsync(context.RequestAborted).ConfigureAwait(false);
        var killed = state.Control.Reason == StopReason.KillSwitch;
        var windowEndsAt = state.WindowEndsAt is { } windowEnd ? await windowEnd(context.RequestAborted).ConfigureAwait(false) : null;
        var document = new StatusDocument(
            StateName(phase),
            state.Settings.Workload,
            attempt,
            state.Supervisor.MaxAttempts,
            budget.SpentCents,
            budget.ReservedCents,
            budget.BudgetCents,
            budget.RemainingCents,
            nextAttemptAt,
            killed,
            killed ? state.Control.Detail : null,
            childPid,
            state.BudgetKey,
            windowEndsAt);
        await HttpJson.WriteAsync(context, StatusCodes.Status200OK, document, ControlJsonContext.Default.StatusDocument).ConfigureAwait(false);
    }

    private static async Task KillAsync(HttpContext context, ControlPlaneState state)
    {
        if (!Tokens.Matches(BearerToken(context), state.Settings.ControlToken))
        {
            await UnauthorizedAsync(context).ConfigureAwait(false);
            return;
        }
        var (request, error) = await HttpJson.ReadAsync(context, ControlJsonContext.Default.KillRequest, new KillRequest(null, null)).ConfigureAwait(false);
        if (request is null)
        {
            await HttpJson.ProblemAsync(context, StatusCodes.Status400BadRequest, "bad request", error).ConfigureAwait(false);
            return;
        }
        if (request.Reason is { Length: > 1024 })
        {
            await HttpJson.ProblemAsync(context, StatusCodes.Status400BadRequest, "bad request", "reason is longer than 1024 characters").ConfigureAwait(false);
            return;
        }
        if (request.Scope is not (null or "run" or "fleet"))
        {
            await HttpJson.ProblemAsync(context, StatusCodes.Status400BadRequest, "bad request", "scope must be \"run\" or \"fleet\"").ConfigureAwait(false);
            return;
        }
        if (request.Scope == "fleet" && state.FleetKill is null)
        {
            await HttpJson.ProblemAsync(context, StatusCodes.Status400BadRequest, "bad request", "scope \"fleet\" needs a --budget-key").ConfigureAwait(false);
            return;
        }
        // This run first, so that the answer (202 or 200) and the reason are this request's, then the
        // fleet: the ledger's switch would otherwise stop this run with its own wording first.
        var reason = string.IsNullOrWhiteSpace(request.Reason) ? "kill switch engaged through POST /kill" : request.Reason;
        var first = state.Control.RequestStop(StopReason.KillSwitch, reason);
        if (request.Scope == "fleet")
        {
            await state.FleetKill!(request.Reason, context.RequestAborted).ConfigureAwait(false);
        }
        var engaged = state.Control.Reason == StopReason.KillSwitch;
        await HttpJson.WriteAsync(context, first ? StatusCodes.Status202Accepted : StatusCodes.Status200OK,
            new KillResponse(engaged, engaged ? state.Control.Detail : null), ControlJsonContext.Default.KillResponse).ConfigureAwait(false);
    }

    private static async Task CostAsync(HttpContext context, ControlPlaneState state)
    {
        var token = BearerToken(context);
        if (!Tokens.Matches(token, state.ChildToken) && !Tokens.Matches(token, state.Settings.ControlToken))
        {
            await UnauthorizedAsync(context).ConfigureAwait(false);
            return;
        }
        var (request, error) = await HttpJson.ReadAsync(context, ControlJsonContext.Default.CostRequest).ConfigureAwait(false);
        if (request is null || request.Cents <= 0 || request.Cents > 1_000_000_000_000)
        {
            await HttpJson.ProblemAsync(context, StatusCodes.Status400BadRequest, "bad request",
                error ?? "cents must be a whole number from 1 to 1000000000000").ConfigureAwait(false);
            return;
        }
        BudgetSnapshot budget;
        try
        {
            budget = await state.Ledger.RecordSpendAsync(request.Cents, context.RequestAborted).ConfigureAwait(false);
        }
        catch (LedgerUnavailableException ex)
        {
            state.Metrics.LedgerError();
            await HttpJson.ProblemAsync(context, StatusCodes.Status503ServiceUnavailable, "ledger unavailable", ex.Message).ConfigureAwait(false);
            return;
        }
        state.Metrics.Spent(request.Cents);
        state.Control.AddReportedSpend(request.Cents);
        var idle = state.Status.Snapshot().ChildPid is null;
        if (budget.RemainingCents <= 0 || (idle && budget.RemainingCents < state.Supervisor.CostPerAttemptCents))
        {
            // Spent, or (between attempts) too little left for another attempt: no reason to wait
            // out a backoff for an attempt that cannot run.
            state.Control.RequestStop(StopReason.BudgetExhausted, budget.RemainingCents <= 0
                ? $"reported spend reached the budget: {budget.SpentCents} of {budget.BudgetCents} cents spent"
                : $"reported spend left {budget.RemainingCents} cents, less than an attempt's {state.Supervisor.CostPerAttemptCents}");
            // 402 once the budget itself is spent; a recorded cost that only leaves too little for
            // another attempt is a success of this call (the run ends all the same).
            await HttpJson.WriteAsync(context, budget.RemainingCents <= 0 ? StatusCodes.Status402PaymentRequired : StatusCodes.Status200OK,
                new CostResponse(budget.SpentCents, budget.RemainingCents), ControlJsonContext.Default.CostResponse).ConfigureAwait(false);
            return;
        }
        await HttpJson.WriteAsync(context, StatusCodes.Status200OK,
            new CostResponse(budget.SpentCents, budget.RemainingCents), ControlJsonContext.Default.CostResponse).ConfigureAwait(false);
    }

    private static string? BearerToken(HttpContext context) =>
        Tokens.FromAuthorizationHeader(context.Request.Headers.Authorization.FirstOrDefault());

    private static Task UnauthorizedAsync(HttpContext context)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return HttpJson.ProblemAsync(context, StatusCodes.Status401Unauthorized, "unauthorized", "a valid bearer token is required");
    }

    private static string StateName(RunPhase phase) => phase switch
    {
        RunPhase.BackingOff => "backingOff",
        RunPhase.Stopping => "stopping",
        RunPhase.Finished => "finished",
        _ => "running",
    };
}
