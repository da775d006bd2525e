using System.Net;

namespace BudgetRun.ControlPlane;

/// <summary>Validated settings of the HTTP control plane and the metrics it publishes.</summary>
internal sealed record ControlPlaneSettings
{
    /// <summary>Where to listen; null: no socket is opened (metrics may still be pushed).</summary>
    public IPEndPoint? Listen { get; init; }

    /// <summary>The bearer token for mutating requests; null: none can be authorised but the child's /cost.</summary>
    public string? ControlToken { get; init; }

    /// <summary>The <c>workload</c> label of every metric.</summary>
    public required string Workload { get; init; }

    /// <summary>The Pushgateway's URL without credentials: this is what logs may show.</summary>
    public string? PushGateway { get; init; }

    /// <summary>The <c>user:password</c> of the Pushgateway URL, sent as HTTP basic auth; never logged.</summary>
    public string? PushCredentials { get; init; }

    public TimeSpan PushInterval { get; init; } = DefaultPushInterval;

    public static TimeSpan DefaultPushInterval { get; } = TimeSpan.FromSeconds(15);
}
