namespace BudgetRun.Client;

internal static class Tokens
{
    /// <summary>budget-run's tokens: 16 to 4096 printable ASCII characters, no space (README, "Control plane").</summary>
    public static string? Problem(string token) =>
        token.Length is < 16 or > 4096 ? $"a budget-run token is 16 to 4096 characters, not {token.Length}"
        : token.Any(c => c is < '!' or > '~') ? "a budget-run token is printable ASCII without spaces"
        : null;
}
