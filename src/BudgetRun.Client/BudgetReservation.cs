namespace BudgetRun.Client;

/// <summary>
/// Cents held in the account for one paid call. Settle it once with what the call really cost;
/// disposing it unsettled releases it (settles 0). A reservation nobody settles or releases (the
/// worker died) expires with its TTL.
/// </summary>
public sealed class BudgetReservation : IAsyncDisposable
{
    private const int Open = 0;
    private const int Completing = 1;
    private const int Completed = 2;

    private readonly BudgetSidecarClient _client;
    private int _state;

    internal BudgetReservation(BudgetSidecarClient client, string id, long cents, long? remainingCents)
    {
        _client = client;
        Id = id;
        Cents = cents;
        RemainingCents = remainingCents;
    }

    /// <summary>The sidecar's id of the reservation.</summary>
    public string Id { get; }

    /// <summary>The cents held.</summary>
    public long Cents { get; }

    /// <summary>What remained of the account after the reservation; null for an account without a limit.</summary>
    public long? RemainingCents { get; }

    /// <summary>True once the reservation was settled or released.</summary>
    public bool IsCompleted => Volatile.Read(ref _state) == Completed;

    /// <summary>
    /// Replaces the reservation with <paramref name="actualCents"/>, what the call really cost:
    /// lower releases the rest, higher is recorded (never refused) and shows as overspend.
    /// </summary>
    /// <param name="actualCents">0 to 10^12.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The account's spend after the settle.</returns>
    /// <exception cref="InvalidOperationException">The reservation was already settled or released through this instance.</exception>
    /// <exception cref="BudgetRunException">The sidecar refused (409: settled or released already, for example by its TTL) or cannot be reached. After a timeout or a 503 the settle may still have been made: settle again, and a 409 says it was.</exception>
    public async Task<BudgetSpend> SettleAsync(long actualCents, CancellationToken cancellationToken = default)
    {
        BudgetRunHttp.CheckCents(actualCents, 0, nameof(actualCents));
        if (Interlocked.CompareExchange(ref _state, Completing, Open) != Open)
        {
            throw new InvalidOperationException($"reservation '{Id}' is already settled or released");
        }
        try
        {
            var spend = await _client.SettleAsync(Id, actualCents, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _state, Completed);
            return spend;
        }
        catch (BudgetRunException e) when (e.StatusCode is System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.NotFound)
        {
            // The sidecar says it is done with this id (settled, released, expired or unknown): so is this instance.
            Volatile.Write(ref _state, Completed);
            throw;
        }
        catch
        {
            Volatile.Write(ref _state, Open); // may be settled again
            throw;
        }
    }

    /// <summary>Releases the reservation: settles 0 (nothing was spent).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="InvalidOperationException">The reservation was already settled or released through this instance.</exception>
    /// <exception cref="BudgetRunException">The sidecar refused or cannot be reached (the TTL releases it all the same).</exception>
    public Task ReleaseAsync(CancellationToken cancellationToken = default) => SettleAsync(0, cancellationToken);

    /// <summary>
    /// Releases the reservation if it was neither settled nor released, within the client's
    /// <see cref="BudgetSidecarOptions.CompletionTimeout"/>. Never throws: a release that fails is
    /// left to the reservation's TTL, which frees the cents all the same.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _state) != Open)
        {
            return;
        }
        using var timeout = new CancellationTokenSource(_client.CompletionTimeout, _client.TimeProvider);
        try
        {
            await SettleAsync(0, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is BudgetRunException or InvalidOperationException or OperationCanceledException)
        {
            // The TTL frees it.
        }
    }
}
