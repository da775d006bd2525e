using BudgetRun.Engine.Budget;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BudgetRun.ControlPlane;

/// <summary>
/// The one error layer of both planes (a run's control plane and <c>serve</c>): a ledger fault on
/// any endpoint is a 503 problem naming the ledger (its message never holds a password), a bug is a
/// 500 problem and one log line, never an empty body or a stack trace; routing's bodiless 404/405
/// get a problem body too. Failed ledger operations are counted where they fail (the ledger's
/// fault hook), not here.
/// </summary>
internal sealed partial class EndpointErrors(ILogger<EndpointErrors> logger)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (LedgerUnavailableException ex)
        {
            await AnswerAsync(context, StatusCodes.Status503ServiceUnavailable, "ledger unavailable", ex.Message).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return; // the client went away: nobody to answer
        }
#pragma warning disable CA1031 // the endpoint boundary: one problem body and one log line instead of Kestrel's stack trace
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogFailed(logger, context.Request.Method, context.Request.Path.Value ?? string.Empty, ex.GetType().Name, ex.Message);
            await AnswerAsync(context, StatusCodes.Status500InternalServerError, "internal error", "budget-run failed to answer; see its log").ConfigureAwait(false);
            return;
        }
        if (!context.Response.HasStarted && context.Response.StatusCode >= 400 && context.Response.ContentLength is null)
        {
            // Nothing of the request is echoed: a token pasted into a path must not come back in an answer.
            var status = context.Response.StatusCode;
            var (title, detail) = status switch
            {
                StatusCodes.Status404NotFound => ("not found", "no endpoint has this path (the README lists them)"),
                StatusCodes.Status405MethodNotAllowed => ("method not allowed", context.Response.Headers.Allow is { Count: > 0 } allow
                    ? $"this endpoint answers {string.Join(", ", allow.ToArray())} only"
                    : "this endpoint does not answer this method"),
                _ => ("error", $"the request was answered {status}"),
            };
            await HttpJson.ProblemAsync(context, status, title, detail).ConfigureAwait(false);
        }
    }

    private static async Task AnswerAsync(HttpContext context, int status, string title, string detail)
    {
        if (context.Response.HasStarted)
        {
            context.Abort(); // a half-written answer cannot become a problem: the client sees a broken response
            return;
        }
        context.Response.Clear();
        await HttpJson.ProblemAsync(context, status, title, detail).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed: {Error}: {Message}")]
    private static partial void LogFailed(ILogger logger, string method, string path, string error, string message);
}
