namespace BudgetRun.Client;

/// <summary>
/// The worker's side of <c>budget-run serve</c>: reserve before each paid call, settle with what
/// it really cost. The sidecar holds the reservation against the shared account, so a fleet of
/// workers never spends more than the account's limit.
/// </summary>
/// <remarks>Thread-safe. Register it with <c>services.AddBudgetRunSidecar(...)</c>, or create it over an <see cref="HttpClient"/> of your own.</remarks>
public sealed class BudgetSidecarClient
{
    private readonly HttpClient _http;
    private readonly string? _token;
    private readonly Uri _reserveUrl;
    private readonly Uri _settleUrl;

    /// <summary>A client of the sidecar <paramref name="options"/> name, sending with <paramref name="httpClient"/>.</summary>
    /// <param name="httpClient">Sends the requests; its <see cref="HttpClient.BaseAddress"/> is not used.</param>
    /// <param name="options">Where the sidecar is; validated here.</param>
    /// <param name="timeProvider">The clock of <see cref="BudgetSidecarOptions.CompletionTimeout"/>; null: the system's.</param>
    /// <exception cref="ArgumentException">The options are invalid (the message lists every problem), or the token file cannot be read.</exception>
    public BudgetSidecarClient(HttpClient httpClient, BudgetSidecarOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        var failures = BudgetSidecarOptionsValidator.Failures(options).ToList();
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", failures), nameof(options));
        }
        _http = httpClient;
        _token = options.Token ?? (options.TokenFile is { } file ? ReadToken(file) : null);
        var root = BudgetRunHttp.BaseOf(options.BaseAddress!);
        _reserveUrl = new Uri(root, "v1/reserve");
        _settleUrl = new Uri(root, "v1/settle");
        CompletionTimeout = options.CompletionTimeout;
        TimeProvider = timeProvider ?? TimeProvider.System;
    }

    internal TimeSpan CompletionTimeout { get; }

    internal TimeProvider TimeProvider { get; }

    /// <summary>
    /// Holds <paramref name="cents"/> of the account for one paid call. Settle the reservation
    /// with what the call really cost; dispose it unsettled and it is released.
    /// </summary>
    /// <param name="cents">What the call may cost at most: 1 to 10^12.</param>
    /// <param name="cancellationToken">Cancels the request (a reservation made meanwhile expires with its TTL).</param>
    /// <exception cref="BudgetExhaustedException">The cents do not fit in the account (or one above it): do not make the call.</exception>
    /// <exception cref="BudgetKilledException">The account's kill switch is engaged.</exception>
    /// <exception cref="BudgetLedgerUnavailableException">The sidecar cannot reach its ledger.</exception>
    /// <exception cref="BudgetRunException">Another refusal, or the sidecar cannot be reached.</exception>
    public async Task<BudgetReservation> ReserveAsync(long cents, CancellationToken cancellationToken = default)
    {
        BudgetRunHttp.CheckCents(cents, 1, nameof(cents));
        var answer = await BudgetRunHttp.PostAsync(_http, _reserveUrl, _token, new ReserveRequest(cents),
            ClientJsonContext.Default.ReserveRequest, ClientJsonContext.Default.ReserveResponse, cancellationToken).ConfigureAwait(false);
        return new BudgetReservation(this, answer.Id, answer.Cents, answer.RemainingCents);
    }

    internal async Task<BudgetSpend> SettleAsync(string id, long cents, CancellationToken cancellationToken)
    {
        var answer = await BudgetRunHttp.PostAsync(_http, _settleUrl, _token, new SettleRequest(id, cents),
            ClientJsonContext.Default.SettleRequest, ClientJsonContext.Default.SettleResponse, cancellationToken).ConfigureAwait(false);
        return new BudgetSpend(answer.SpentCents, answer.RemainingCents);
    }

    private static string ReadToken(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"the sidecar's token file '{path}' cannot be read: {e.Message}", nameof(path), e);
        }
        return Tokens.Problem(text) is { } problem ? throw new ArgumentException($"the sidecar's token file '{path}': {problem}", nameof(path)) : text;
    }
}
