using System.Net;

namespace BudgetRun.Client;

/// <summary>
/// budget-run answered a request with an error, or could not be reached. The typed subclasses are
/// the answers a caller acts on: <see cref="BudgetExhaustedException"/> (402),
/// <see cref="BudgetKilledException"/> (423) and <see cref="BudgetLedgerUnavailableException"/> (503).
/// </summary>
public class BudgetRunException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public BudgetRunException()
        : base("budget-run refused the request")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">What went wrong, in one line.</param>
    public BudgetRunException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the exception that caused it.</summary>
    /// <param name="message">What went wrong, in one line.</param>
    /// <param name="innerException">The cause: the transport's exception when budget-run could not be reached.</param>
    public BudgetRunException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for an HTTP answer of budget-run.</summary>
    /// <param name="message">What went wrong, in one line.</param>
    /// <param name="statusCode">The HTTP status budget-run answered.</param>
    /// <param name="detail">The <c>detail</c> of budget-run's problem body, if it sent one.</param>
    public BudgetRunException(string message, HttpStatusCode statusCode, string? detail)
        : base(message)
    {
        StatusCode = statusCode;
        Detail = detail;
    }

    /// <summary>The HTTP status budget-run answered; null when no answer came (connection refused, timeout).</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The <c>detail</c> of budget-run's problem body (for example <c>25 cents do not fit: 10 of 100 remain</c>), if it sent one.</summary>
    public string? Detail { get; }
}

/// <summary>
/// The budget refused (HTTP 402): a reservation does not fit, or the spend a child reported used up
/// its run's budget. A job that gets it should stop: under <c>budget-run</c> the run is already
/// stopping the attempt, and no further attempt will start.
/// </summary>
public sealed class BudgetExhaustedException : BudgetRunException
{
    /// <summary>Creates the exception with a default message.</summary>
    public BudgetExhaustedException()
        : base("the budget is exhausted")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">What went wrong, in one line.</param>
    public BudgetExhaustedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    /// <param name="message">What went wrong, in one line.</param>
    /// <param name="innerException">The cause.</param>
    public BudgetExhaustedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for budget-run's 402 answer.</summary>
    /// <param name="message">What went wrong, in one line.</param>
    /// <param name="detail">The <c>detail</c> of the problem body, if any.</param>
    /// <param name="spentCents">What the budget has spent, when the answer says (<c>POST /cost</c> does).</param>
    /// <param name="remainingCents">What remains of the budget, when the answer says.</param>
    public BudgetExhaustedException(string message, string? detail, long? spentCents, long? remainingCents)
        : base(message, HttpStatusCode.PaymentRequired, detail)
    {
        SpentCents = spentCents;
        RemainingCents = remainingCents;
    }

    /// <summary>What the budget has spent, when the answer said so (<c>POST /cost</c> does; <c>/v1/reserve</c> says it in <see cref="BudgetRunException.Detail"/>).</summary>
    public long? SpentCents { get; }

    /// <summary>What remains of the budget, when the answer said so.</summary>
    public long? RemainingCents { get; }
}

/// <summary>
/// The account's kill switch is engaged (HTTP 423): an operator ran <c>budget-run kill</c> on it
/// or on an account above it. Nothing is reserved until <c>budget-run resume</c>.
/// </summary>
public sealed class BudgetKilledException : BudgetRunException
{
    /// <summary>Creates the exception with a default message.</summary>
    public BudgetKilledException()
        : base("the budget's kill switch is engaged")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">What went wrong, in one line.</param>
    public BudgetKilledException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    /// <param name="message">What went wrong, in one line.</param>
    /// <param name="innerException">The cause.</param>
    public BudgetKilledException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for budget-run's 423 answer.</summary>
    /// <param name="message">What went wrong, in one line.</param>
    /// <param name="detail">The <c>detail</c> of the problem body: the account that is stopped and the reason.</param>
    public BudgetKilledException(string message, string? detail)
        : base(message, HttpStatusCode.Locked, detail)
    {
    }
}

/// <summary>
/// budget-run cannot reach its ledger (HTTP 503): it fails closed, so nothing is reserved or
/// recorded until the ledger is back. Retrying later is safe.
/// </summary>
public sealed class BudgetLedgerUnavailableException : BudgetRunException
{
    /// <summary>Creates the exception with a default message.</summary>
    public BudgetLedgerUnavailableException()
        : base("budget-run cannot reach its ledger")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">What went wrong, in one line.</param>
    public BudgetLedgerUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    /// <param name="message">What went wrong, in one line.</param>
    /// <param name="innerException">The cause.</param>
    public BudgetLedgerUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for budget-run's 503 answer.</summary>
    /// <param name="message">What went wrong, in one line.</param>
    /// <param name="detail">The <c>detail</c> of the problem body: which ledger and why.</param>
    public BudgetLedgerUnavailableException(string message, string? detail)
        : base(message, HttpStatusCode.ServiceUnavailable, detail)
    {
    }
}
