using System.Globalization;
using BudgetRun.Engine;
using BudgetRun.Engine.Budget;
using BudgetRun.Engine.Retry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace BudgetRun.ControlPlane;

/// <summary>
/// The endpoints of a run's control plane. Paths are a contract (README, examples/kubernetes,
/// tests). Handlers are plain <see cref="RequestDelegate"/>s: no reflection, nothing for the
/// trimmer to lose. Spend decisions are the engine's (<see cref="RunBudget"/>): a handler reports
/// and maps the answer to a status code; ledger faults become 503 in <see cref="EndpointErrors"/>.
/// </summary>
internal static partial class ControlEndpoints
{
    public const string KillPath = "/kill";
    public const string CostPath = "/cost";
    public const string RetryPath = "/retry";

    public static void Map(IEndpointRouteBuilder endpoints, ControlPlaneState state)
    {
        SharedEndpoints.MapMetrics(endpoints, state.Metrics.Registry);
        SharedEndpoints.MapHealth(endpoints, state.Budget.UnhealthyReasonAsync);
        endpoints.MapGet(SharedEndpoints.StatusPath, new RequestDelegate(context => StatusAsync(context, state)));
        endpoints.MapPost(KillPath, new RequestDelegate(context => KillAsync(context, state)));
        endpoints.MapPost(CostPath, new RequestDelegate(context => CostAsync(context, state)));
        endpoints.MapPost(RetryPath, new RequestDelegate(context => RetryAsync(context, state)));
    }

    private static async Task StatusAsync(HttpContext context, ControlPlaneState state)
    {
        var (phase, attempt, childPid, nextAttemptAt) = state.Status.Snapshot();
        var budget = await state.Budget.SnapshotAsync(context.RequestAborted).ConfigureAwait(false);
        var killed = state.Control.Reason == StopReason.KillSwitch;
        var accountStatus = state.Account is { } account ? await account.StatusAsync(context.RequestAborted).ConfigureAwait(false) : null;
        var document = new StatusDocument(
            StateName(phase),
            state.Settings.Workload,
            attempt,
            state.MaxAttempts,
            budget.SpentCents,
            budget.ReservedCents,
            budget.BudgetCents,
            budget.RemainingCents,
            nextAttemptAt,
            killed,
            killed ? state.Control.Detail : null,
            childPid,
            state.Account?.Account.Key,
            accountStatus?.WindowEndsAt)
        { Levels = accountStatus?.Levels, Meter = state.Status.Meter?.Read() };
        await HttpJson.WriteAsync(context, StatusCodes.Status200OK, document, ControlJsonContext.Default.StatusDocument).ConfigureAwait(false);
    }

    private static async Task KillAsync(HttpContext context, ControlPlaneState state)
    {
        if (!await BearerAuth.RequireAsync(context, state.Settings.ControlToken).ConfigureAwait(false))
        {
            return;
        }
        var (request, error) = await HttpJson.ReadAsync(context, ControlJsonContext.Default.KillRequest, new KillRequest(null, null)).ConfigureAwait(false);
        error ??= request switch
        {
            { Reason.Length: > Limits.MaxReasonLength } => $"reason is longer than {Limits.MaxReasonLength} characters",
            { Scope: not (null or "run" or "fleet") } => "scope must be \"run\" or \"fleet\"",
            { Scope: "fleet" } when state.Account is null => "scope \"fleet\" needs a --budget-key",
            _ => null,
        };
        if (error is not null)
        {
            await HttpJson.ProblemAsync(context, StatusCodes.Status400BadRequest, "bad request", error).ConfigureAwait(false);
            return;
        }
        // This run first, so that the answer (202 or 200) and the reason are this request's, then the
        // fleet: the ledger's switch would otherwise stop this run with its own wording first.
        var reason = string.IsNullOrWhiteSpace(request!.Reason) ? "kill switch engaged through POST /kill" : request.Reason;
        var first = state.Control.RequestStop(StopReason.KillSwitch, reason);
        if (request.Scope == "fleet")
        {
            await state.Account!.KillAsync(request.Reason, context.RequestAborted).ConfigureAwait(false);
        }
        var engaged = state.Control.Reason == StopReason.KillSwitch;
        await HttpJson.WriteAsync(context, first ? StatusCodes.Status202Accepted : StatusCodes.Status200OK,
            new KillResponse(engaged, engaged ? state.Control.Detail : null), ControlJsonContext.Default.KillResponse).ConfigureAwait(false);
    }

    private static async Task CostAsync(HttpContext context, ControlPlaneState state)
    {
        if (!await BearerAuth.RequireAsync(context, state.ChildToken, state.Settings.ControlToken).ConfigureAwait(false))
        {
            return;
        }
        var (request, error) = await HttpJson.ReadAsync(context, ControlJsonContext.Default.CostRequest).ConfigureAwait(false);
        if (request is null || request.Cents is <= 0 or > Limits.MaxRequestCents)
        {
            await HttpJson.ProblemAsync(context, StatusCodes.Status400BadRequest, "bad request",
                error ?? $"cents must be a whole number from 1 to {Limits.MaxRequestCents}").ConfigureAwait(false);
            return;
        }
        var answer = await state.Budget.ReportSpendAsync(request.Cents, context.RequestAborted).ConfigureAwait(false);
        state.Metrics.Spent(request.Cents);
        // 402 once the budget itself is spent; a cost that only leaves too little for another
        // attempt is a success of this call (the run ends all the same).
        await HttpJson.WriteAsync(context, answer.Verdict == SpendVerdict.Exhausted ? StatusCodes.Status402PaymentRequired : StatusCodes.Status200OK,
            new CostResponse(answer.Budget.SpentCents, answer.Budget.RemainingCents), ControlJsonContext.Default.CostResponse).ConfigureAwait(false);
    }

    /// <summary>
    /// The child's say on the retry after its attempt: handed to the engine as a fact for the retry
    /// decision (<see cref="RetryDecision"/>), which caps the wait and keeps the deadline.
    /// </summary>
    private static async Task RetryAsync(HttpContext context, ControlPlaneState state)
    {
        if (!await BearerAuth.RequireAsync(context, state.ChildToken, state.Settings.ControlToken).ConfigureAwait(false))
        {
            return;
        }
        var (request, error) = await HttpJson.ReadAsync(context, ControlJsonContext.Default.RetryRequest).ConfigureAwait(false);
        TimeSpan? after = null;
        error ??= request switch
        {
            null => "give {\"after\": \"45s\"} or {\"retry\": false, \"reason\": \"...\"}",
            { Reason.Length: > Limits.MaxReasonLength } => $"reason is longer than {Limits.MaxReasonLength} characters",
            { Retry: false, After: not null } => "after means nothing with retry: false",
            { Retry: not false, After: null } => "give after (a duration such as 45s) or retry: false",
            { After: { } text } when (after = Duration(text)) is null => $"after: '{text}' is not a duration (a number with a unit: 500ms, 45s, 2m, 1h)",
            _ => null,
        };
        if (error is not null)
        {
            await HttpJson.ProblemAsync(context, StatusCodes.Status400BadRequest, "bad request", error).ConfigureAwait(false);
            return;
        }
        var asked = new ChildRetryRequest(after, request!.Retry is not false, request.Reason);
        state.Control.AskRetry(asked);
        await HttpJson.WriteAsync(context, StatusCodes.Status202Accepted,
            new RetryResponse(asked.Retry, after is { } wait ? (long)(wait < RetryDecision.MaxChildDelay ? wait : RetryDecision.MaxChildDelay).TotalMilliseconds : null),
            ControlJsonContext.Default.RetryResponse).ConfigureAwait(false);
    }

    /// <summary>A positive duration in the flags' form (<c>500ms</c>, <c>1.5s</c>, <c>2m</c>, <c>1h</c>), up to 7 days; null otherwise.</summary>
    private static TimeSpan? Duration(string text)
    {
        var match = DurationPattern().Match(text);
        if (!match.Success || !decimal.TryParse(match.Groups["amount"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            return null;
        }
        var unit = match.Groups["unit"].Value switch
        {
            "ms" => TimeSpan.TicksPerMillisecond,
            "s" => TimeSpan.TicksPerSecond,
            "m" => TimeSpan.TicksPerMinute,
            _ => TimeSpan.TicksPerHour,
        };
        return amount > 0 && amount <= (decimal)TimeSpan.FromDays(7).Ticks / unit ? TimeSpan.FromTicks((long)(amount * unit)) : null;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(?<amount>[0-9]{1,12}(\.[0-9]{1,9})?)(?<unit>ms|s|m|h)$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex DurationPattern();

    private static string StateName(RunPhase phase) => phase switch
    {
        RunPhase.BackingOff => "backingOff",
        RunPhase.Stopping => "stopping",
        RunPhase.Finished => "finished",
        _ => "running",
    };
}
