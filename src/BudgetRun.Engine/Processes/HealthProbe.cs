using System.Globalization;

namespace BudgetRun.Engine.Processes;

/// <summary>
/// One check of <see cref="HealthCheck"/>: the command in a process group of its own (and never in
/// the attempt's cgroup), killed with its group when it overruns; or one GET of the URL.
/// </summary>
internal sealed class HealthProbe(HealthCheck check, IChildLauncher launcher, TimeProvider time,
    IReadOnlyDictionary<string, string> environment, IReadOnlySet<string> hidden) : IDisposable
{
    /// <summary>The attempt's child, for the command: <c>BUDGET_RUN_CHILD_PID</c>.</summary>
    public const string ChildPidVariable = "BUDGET_RUN_CHILD_PID";

    private readonly HttpClient? _http = check.Url is null || !NetworkFeatures.IsSupported ? null : new HttpClient(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
    })
    {
        Timeout = System.Threading.Timeout.InfiniteTimeSpan, // the check's own timeout, on the injected clock
    };

    /// <summary>Healthy or not, and why not in a few words. Cancelling ends a check under way (its command is killed).</summary>
    public async Task<(bool Healthy, string Detail)> CheckAsync(int childPid, CancellationToken cancel)
    {
        using var timeout = new CancellationTokenSource(check.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, timeout.Token);
        try
        {
            if (check.Url is not { } url)
            {
                return await RunAsync(childPid, linked.Token).ConfigureAwait(false);
            }
            return NetworkFeatures.IsSupported
                ? await GetAsync(url, linked.Token).ConfigureAwait(false)
                : throw NetworkFeatures.Missing("--health-url");
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancel.IsCancellationRequested)
        {
            return (false, $"no answer within {Durations.Format(check.Timeout)}");
        }
    }

    private async Task<(bool, string)> GetAsync(Uri url, CancellationToken cancel)
    {
        try
        {
            using var answer = await _http!.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancel).ConfigureAwait(false);
            var code = (int)answer.StatusCode;
            return code is >= 200 and < 400 ? (true, "") : (false, $"HTTP {code.ToString(CultureInfo.InvariantCulture)}");
        }
        catch (HttpRequestException ex)
        {
            return (false, ex.HttpRequestError == HttpRequestError.ConnectionError ? "connection refused or unreachable" : ex.Message);
        }
    }

    private async Task<(bool, string)> RunAsync(int childPid, CancellationToken cancel)
    {
        var extra = new Dictionary<string, string>(environment, StringComparer.Ordinal)
        {
            [ChildPidVariable] = childPid.ToString(CultureInfo.InvariantCulture),
        };
        extra.Remove(AttemptEnvironment.ChildToken); // the child's to report cost with, not the check's
        var hiddenHere = new HashSet<string>(hidden, StringComparer.Ordinal) { AttemptEnvironment.ChildToken };
        IChildProcess probe;
        try
        {
            probe = launcher.Start(new ChildStartInfo(["/bin/sh", "-c", check.Command!], extra, hiddenHere, OwnCgroup: false));
        }
        catch (ChildStartException ex)
        {
            return (false, ex.Message);
        }
        try
        {
            var exit = await probe.Exited.WaitAsync(cancel).ConfigureAwait(false);
            return exit.Code == 0 ? (true, "") : (false, exit.ToString());
        }
        finally
        {
            // Whatever it left in its group goes with it; an overrun check is killed the same way.
            probe.Signal(Signals.SIGKILL);
            if (!probe.Exited.IsCompleted)
            {
                await probe.Exited.ConfigureAwait(false);
            }
        }
    }

    public void Dispose() => _http?.Dispose();
}
