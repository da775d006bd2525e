using Microsoft.AspNetCore.Http;

namespace BudgetRun.ControlPlane;

/// <summary>The bearer-token check of every mutating endpoint: constant-time, 401 with a problem body otherwise.</summary>
internal static class BearerAuth
{
    /// <summary>True when the request carries one of <paramref name="accepted"/> (null entries accept nothing); otherwise answers 401.</summary>
    public static async Task<bool> RequireAsync(HttpContext context, string? accepted, string? alsoAccepted = null)
    {
        var token = Tokens.FromAuthorizationHeader(context.Request.Headers.Authorization.FirstOrDefault());
        // Both comparisons always run: which token matched must not show in the time taken.
        var first = Tokens.Matches(token, accepted);
        var second = Tokens.Matches(token, alsoAccepted);
        if (first | second)
        {
            return true;
        }
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await HttpJson.ProblemAsync(context, StatusCodes.Status401Unauthorized, "unauthorized", "a valid bearer token is required").ConfigureAwait(false);
        return false;
    }
}
