using System.Text.Json.Serialization;

namespace BudgetRun.Engine;

/// <summary>How one attempt ended. JSON names double as the <c>outcome</c> label of the attempts metric.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AttemptKind>))]
public enum AttemptKind
{
    [JsonStringEnumMemberName("success")] Success,
    /// <summary>Exited with a non-zero code.</summary>
    [JsonStringEnumMemberName("failure")] Failure,
    /// <summary>Stopped by <c>--attempt-timeout</c>; its code is 124.</summary>
    [JsonStringEnumMemberName("timeout")] Timeout,
    /// <summary>Stopped by budget-run (signal, kill switch, deadline, budget).</summary>
    [JsonStringEnumMemberName("killed")] Killed,
    /// <summary>Died of a signal budget-run did not send.</summary>
    [JsonStringEnumMemberName("signal")] Signal,
    /// <summary>Could not be started.</summary>
    [JsonStringEnumMemberName("start_error")] StartError,
    /// <summary>
    /// Died of SIGKILL while its cgroup counted an OOM kill (<c>memory.events oom_kill</c>): the
    /// kernel's OOM killer, not a plain SIGKILL. Its code is still 137; <c>--retry-on</c> and
    /// <c>--no-retry-on</c> name it <c>oom</c>. Only where the attempt's cgroup has the memory controller.
    /// </summary>
    [JsonStringEnumMemberName("oom")] Oom,
    /// <summary>
    /// Stopped by budget-run because its health checks failed (<c>--health-cmd</c>, <c>--health-url</c>);
    /// its code is its death's (143 after SIGTERM); <c>--retry-on</c> and <c>--no-retry-on</c> name it <c>unhealthy</c>.
    /// </summary>
    [JsonStringEnumMemberName("unhealthy")] Unhealthy,
}
