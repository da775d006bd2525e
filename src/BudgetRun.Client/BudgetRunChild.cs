using System.Globalization;

namespace BudgetRun.Client;

/// <summary>
/// The child's side of a run: a job that <c>budget-run</c> supervises reports what it really
/// spent (<c>POST /cost</c>) and says whether its attempt is worth retrying (<c>POST /retry</c>),
/// with the URL and token budget-run put in its environment.
/// </summary>
/// <remarks>
/// <para>
/// Not under budget-run (neither <c>BUDGET_RUN_URL</c> nor <c>BUDGET_RUN_TOKEN</c> is set), every
/// call is a no-op: <see cref="IsSupervised"/> is false and <see cref="ReportCostAsync"/> returns
/// null. The same job then runs unchanged on a laptop, in its own tests or under another
/// supervisor, where there is no budget to report to; a job that must not run unbudgeted checks
/// <see cref="IsSupervised"/> at start. Half a configuration (one variable without the other, a
/// URL that is not http) is a mistake, not an absence: <see cref="FromEnvironment"/> throws.
/// </para>
/// <para>Thread-safe; one instance serves the whole process. Dispose it to close its connections.</para>
/// </remarks>
public sealed class BudgetRunChild : IDisposable
{
    /// <summary>The variable that holds the run's control plane URL.</summary>
    public const string UrlVariable = "BUDGET_RUN_URL";

    /// <summary>The variable that holds this run's child token (valid for <c>/cost</c> and <c>/retry</c> only).</summary>
    public const string TokenVariable = "BUDGET_RUN_TOKEN";

    private static readonly TimeSpan _defaultTimeout = TimeSpan.FromSeconds(30);

    private readonly HttpClient? _http;
    private readonly bool _ownsHttp;
    private readonly string? _token;
    private readonly Uri? _costUrl;
    private readonly Uri? _retryUrl;

    /// <summary>A child of the run at <paramref name="url"/>, authenticated with <paramref name="token"/>.</summary>
    /// <param name="url">The run's control plane (<c>BUDGET_RUN_URL</c>): an absolute http or https URL.</param>
    /// <param name="token">The child token (<c>BUDGET_RUN_TOKEN</c>) or the run's control token.</param>
    /// <param name="httpClient">The client to send with (not disposed by this instance); null: one of its own, with a 30 s timeout.</param>
    /// <exception cref="ArgumentException"><paramref name="url"/> is not an absolute http(s) URL, or <paramref name="token"/> is not a budget-run token.</exception>
    public BudgetRunChild(Uri url, string token, HttpClient? httpClient = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(token);
        if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"the run's URL must be an absolute http or https URL, not '{url}'", nameof(url));
        }
        if (Tokens.Problem(token) is { } problem)
        {
            throw new ArgumentException(problem, nameof(token));
        }
        var root = BudgetRunHttp.BaseOf(url);
        _costUrl = new Uri(root, "cost");
        _retryUrl = new Uri(root, "retry");
        _token = token;
        Url = url;
        _ownsHttp = httpClient is null;
        _http = httpClient ?? new HttpClient { Timeout = _defaultTimeout };
    }

    private BudgetRunChild()
    {
    }

    /// <summary>
    /// The child of the run whose environment this process has (<see cref="UrlVariable"/>,
    /// <see cref="TokenVariable"/>); an unsupervised instance, whose calls do nothing, when neither is set.
    /// </summary>
    /// <exception cref="InvalidOperationException">Only one of the two variables is set, or the URL or token is malformed.</exception>
    public static BudgetRunChild FromEnvironment()
    {
        var url = Environment.GetEnvironmentVariable(UrlVariable);
        var token = Environment.GetEnvironmentVariable(TokenVariable);
        if (string.IsNullOrEmpty(url) && string.IsNullOrEmpty(token))
        {
            return new BudgetRunChild();
        }
        if (string.IsNullOrEmpty(url) || string.IsNullOrEmpty(token))
        {
            throw new InvalidOperationException(
                $"{(string.IsNullOrEmpty(url) ? TokenVariable : UrlVariable)} is set but {(string.IsNullOrEmpty(url) ? UrlVariable : TokenVariable)} is not: both come from budget-run, or neither");
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException($"{UrlVariable} is not an absolute http or https URL");
        }
        if (Tokens.Problem(token) is { } problem)
        {
            throw new InvalidOperationException($"{TokenVariable}: {problem}");
        }
        return new BudgetRunChild(parsed, token);
    }

    /// <summary>True when this process runs under budget-run; false when every call is a no-op.</summary>
    public bool IsSupervised => _http is not null;

    /// <summary>The run's control plane URL; null when not supervised.</summary>
    public Uri? Url { get; }

    /// <summary>
    /// Reports <paramref name="cents"/> of real spend (on top of the run's per-attempt cost) and
    /// returns what the run has spent and what remains. Each call is recorded once: do not repeat
    /// a call that succeeded.
    /// </summary>
    /// <param name="cents">What was really spent since the last report: 1 to 10^12.</param>
    /// <param name="cancellationToken">Cancels the request (the spend may still have been recorded).</param>
    /// <returns>The run's spend after this report; null when not supervised (nothing was recorded).</returns>
    /// <exception cref="BudgetExhaustedException">The spend reached the run's budget: it was recorded, budget-run is stopping this attempt and starts no other. Stop the work.</exception>
    /// <exception cref="BudgetRunException">budget-run refused the request or could not be reached.</exception>
    public async Task<BudgetSpend?> ReportCostAsync(long cents, CancellationToken cancellationToken = default)
    {
        BudgetRunHttp.CheckCents(cents, 1, nameof(cents));
        if (_http is null)
        {
            return null;
        }
        var answer = await BudgetRunHttp.PostAsync(_http, _costUrl!, _token, new CostRequest(cents),
            ClientJsonContext.Default.CostRequest, ClientJsonContext.Default.CostResponse, cancellationToken).ConfigureAwait(false);
        return new BudgetSpend(answer.SpentCents, answer.RemainingCents);
    }

    /// <summary>
    /// Asks budget-run to wait at least <paramref name="after"/> before the next attempt (the API
    /// this attempt called answered 429 with a Retry-After, say). budget-run waits at most an hour,
    /// never less than its own backoff, and never past its deadline. No-op when not supervised.
    /// </summary>
    /// <param name="after">The wait: more than zero, at most an hour; rounded up to whole milliseconds.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="BudgetRunException">budget-run refused the request or could not be reached.</exception>
    public async Task RetryAfterAsync(TimeSpan after, CancellationToken cancellationToken = default)
    {
        if (after <= TimeSpan.Zero || after > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(after), after, "the wait must be more than zero and at most an hour");
        }
        if (_http is null)
        {
            return;
        }
        var milliseconds = (long)Math.Ceiling(after.TotalMilliseconds);
        await BudgetRunHttp.PostAsync(_http, _retryUrl!, _token, new RetryRequest(milliseconds.ToString(CultureInfo.InvariantCulture) + "ms", null, null),
            ClientJsonContext.Default.RetryRequest, ClientJsonContext.Default.RetryResponse, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Tells budget-run not to retry after this attempt (the API refused the request for good, a
    /// 400 or 403, say): when the attempt fails, the run ends with its exit code, outcome
    /// <c>notRetryable</c>, and <paramref name="reason"/> in its message. No-op when not supervised.
    /// </summary>
    /// <param name="reason">Why, in one line: it goes into budget-run's log and report.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="BudgetRunException">budget-run refused the request or could not be reached.</exception>
    public async Task DoNotRetryAsync(string reason, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (_http is null)
        {
            return;
        }
        await BudgetRunHttp.PostAsync(_http, _retryUrl!, _token, new RetryRequest(null, false, reason),
            ClientJsonContext.Default.RetryRequest, ClientJsonContext.Default.RetryResponse, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the connections of the client this instance made (a client passed in is left alone).</summary>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http?.Dispose();
        }
    }
}

/// <summary>A budget's spend after a report or settle.</summary>
public sealed class BudgetSpend
{
    /// <summary>Creates the figures.</summary>
    /// <param name="spentCents">What the budget has spent.</param>
    /// <param name="remainingCents">What remains; null for an account without a limit.</param>
    public BudgetSpend(long spentCents, long? remainingCents)
    {
        SpentCents = spentCents;
        RemainingCents = remainingCents;
    }

    /// <summary>What the budget has spent, in cents.</summary>
    public long SpentCents { get; }

    /// <summary>What remains of it, in cents; null for an account without a limit.</summary>
    public long? RemainingCents { get; }

    /// <inheritdoc />
    public override string ToString() => RemainingCents is { } remaining ? $"spent {SpentCents}, {remaining} remain" : $"spent {SpentCents}";
}
