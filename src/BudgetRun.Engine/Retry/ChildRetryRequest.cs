namespace BudgetRun.Engine.Retry;

/// <summary>
/// What the child asked of the retry after its attempt (<c>POST /retry</c>): the upstream API said
/// 429 with Retry-After, so wait at least <paramref name="After"/>; or it said a 4xx that no retry
/// fixes, so do not retry (<paramref name="Retry"/> false) because of <paramref name="Reason"/>.
/// </summary>
internal sealed record ChildRetryRequest(TimeSpan? After, bool Retry = true, string? Reason = null);
