namespace BudgetRun.Engine;

/// <summary>
/// budget-run's documented input limits, each in one place (README: "Limits"). Cents are bounded so
/// that no sum of them can overflow a 64-bit ledger value.
/// </summary>
public static class Limits
{
    /// <summary>The largest cents a flag or environment variable may give (ten trillion dollars).</summary>
    public const long MaxFlagCents = 1_000_000_000_000_000;

    /// <summary>The largest cents one HTTP request may report, reserve or settle (ten billion dollars).</summary>
    public const long MaxRequestCents = 1_000_000_000_000;

    /// <summary>The longest kill reason, from <c>--reason</c> or <c>POST /kill</c>.</summary>
    public const int MaxReasonLength = 1024;

    /// <summary>The longest reservation id a settle may name.</summary>
    public const int MaxReservationIdLength = 200;
}
