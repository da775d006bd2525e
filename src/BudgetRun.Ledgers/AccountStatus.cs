using System.Text.Json.Serialization;

namespace BudgetRun.Ledgers;

/// <summary>
/// An account at one moment, in the vocabulary of issue 11 (serialised camelCase these are the JSON
/// names of <c>status --json</c>, <c>GET /status</c> and the sidecar).
/// </summary>
/// <param name="BudgetKey">The account's key.</param>
/// <param name="BudgetCents">The limit for the current window; null when unknown (an account never used, administered without a limit).</param>
/// <param name="SpentCents">Spent in the current window (settled costs, reported spend, expired reservations in full).</param>
/// <param name="ReservedCents">Held by reservations not settled yet.</param>
/// <param name="RemainingCents">What may still be reserved; never negative; null when the limit is unknown.</param>
/// <param name="WindowEndsAt">When the current window ends (UTC); null without a window.</param>
/// <param name="KillSwitch">Whether the fleet kill switch is engaged (on the account or any level above it).</param>
/// <param name="KillReason">Why it was engaged, when it is and a reason was given.</param>
internal sealed record AccountStatus(
    string BudgetKey,
    long? BudgetCents,
    long SpentCents,
    long ReservedCents,
    long? RemainingCents,
    DateTimeOffset? WindowEndsAt,
    bool KillSwitch,
    string? KillReason)
{
    /// <summary>
    /// The levels above the account that have terms (<c>acme</c>, <c>acme/support</c> for
    /// <c>acme/support/nightly</c>), root first, each held to its own limit; null when none has.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<AccountStatus>? Levels { get; init; }

    /// <summary>What the tightest of the account and its levels has left; null when none has a limit.</summary>
    public long? TightestRemainingCents() =>
        (Levels ?? []).Select(level => level.RemainingCents).Append(RemainingCents).Where(cents => cents is not null).Min();
}
