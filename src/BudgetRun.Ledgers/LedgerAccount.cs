using System.Text.RegularExpressions;

namespace BudgetRun.Ledgers;

/// <summary>
/// A named budget: the key (<c>nightly-batch</c>, <c>queue-worker/openai</c>), its limit for the
/// current window and the window. A run or a sidecar gives all three; the <c>status</c>,
/// <c>kill</c> and <c>resume</c> subcommands may leave the limit and window out (null), and then
/// the ones the account was last used with are shown.
/// </summary>
internal sealed partial record LedgerAccount
{
    public const int MaxKeyLength = 200;

    /// <summary>What a valid key is, in the words of every error that refuses one.</summary>
    public static readonly string KeyRule =
        $"1 to {MaxKeyLength} letters, digits and . _ - / : @ +, starting with a letter or digit, at most {AccountPath.MaxLevels} levels";

    public LedgerAccount(string key, long? limitCents, BudgetWindow? window)
    {
        if (!IsValidKey(key))
        {
            throw new ArgumentException(
                $"budget key '{key}' is not valid: use {KeyRule}",
                nameof(key));
        }
        if (limitCents is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(limitCents), limitCents, "the limit cannot be negative");
        }
        Key = key;
        LimitCents = limitCents;
        Window = window;
    }

    public string Key { get; }

    /// <summary>The limit in cents for each window; null when only administering the account.</summary>
    public long? LimitCents { get; }

    /// <summary>The window; null when only administering the account (use the stored one).</summary>
    public BudgetWindow? Window { get; }

    public static bool IsValidKey(string? key) =>
        key is not null && KeyPattern().IsMatch(key) && AccountPath.Levels(key).Count <= AccountPath.MaxLevels;

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._\-/:@+]{0,199}\z", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();
}
