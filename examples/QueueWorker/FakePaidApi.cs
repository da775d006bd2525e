namespace QueueWorker;

/// <summary>What the paid API answers: the tokens it used (the caller prices them).</summary>
internal sealed record Completion(string Job, int Tokens);

/// <summary>The paid API failed the way an outage does (a 503): worth a retry, and it may still bill.</summary>
internal sealed class PaidApiUnavailableException(string message) : Exception(message);

/// <summary>
/// A stand-in for an LLM API: each call takes a few milliseconds and fails with the configured
/// rate (seeded, so a run repeats); a success uses 100 to 400 tokens.
/// </summary>
internal sealed class FakePaidApi(double failureRate, int seed)
{
    private readonly Random _random = new(seed);
    private readonly Lock _lock = new();

    public async Task<Completion> CompleteAsync(string job, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken);
        double roll;
        int tokens;
        lock (_lock)
        {
            roll = _random.NextDouble();
            tokens = _random.Next(100, 401);
        }
        return roll < failureRate ? throw new PaidApiUnavailableException("503 Service Unavailable") : new Completion(job, tokens);
    }
}
