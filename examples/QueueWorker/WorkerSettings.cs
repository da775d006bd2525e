using System.Globalization;

namespace QueueWorker;

/// <summary>The worker's settings, from its environment (Program.cs lists them).</summary>
internal sealed record WorkerSettings(string RedisUrl, string Queue, Uri SidecarUrl, string? SidecarTokenFile, double FailureRate, int Seed, long CallCents)
{
    public static WorkerSettings FromEnvironment(Func<string, string?> get) => new(
        get("REDIS_URL") is { Length: > 0 } redis ? redis : "localhost:6379",
        get("QUEUE") is { Length: > 0 } queue ? queue : "jobs",
        new Uri(get("BUDGET_SIDECAR_URL") is { Length: > 0 } url ? url : "http://127.0.0.1:8080"),
        get("BUDGET_SIDECAR_TOKEN_FILE") is { Length: > 0 } file ? file : null,
        double.TryParse(get("FAKE_API_FAILURE_RATE"), NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) ? Math.Clamp(rate, 0, 1) : 0.5,
        int.TryParse(get("FAKE_API_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed) ? seed : 42,
        long.TryParse(get("CALL_CENTS"), NumberStyles.None, CultureInfo.InvariantCulture, out var cents) && cents > 0 ? cents : 40);
}
