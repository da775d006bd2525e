using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit.Sdk;

namespace BudgetRun.Testing;

/// <summary>Polling with a limit: every wait in the suite ends, and says what it waited for.</summary>
internal static partial class Wait
{
    private static readonly TimeSpan _poll = TimeSpan.FromMilliseconds(10);

    /// <summary>Polls <paramref name="condition"/>; true as soon as it holds, false after <paramref name="limit"/>.</summary>
    public static async Task<bool> ForAsync(Func<bool> condition, TimeSpan limit)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!condition())
        {
            if (stopwatch.Elapsed > limit)
            {
                return condition();
            }
            await Task.Delay(_poll);
        }
        return true;
    }

    /// <summary>
    /// Like <see cref="ForAsync"/>, but fails the test when the condition never holds, or as soon as
    /// <paramref name="run"/> (the budget-run that should make it hold) has exited.
    /// </summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan limit, string what, BudgetRunProcess? run = null)
    {
        var exited = false;
        var held = await ForAsync(() => condition() || (exited = run?.HasExited == true), limit);
        if (held && exited)
        {
            // What it wrote just before it exited may still be on its way through the pipe.
            await run!.WaitForOutputAsync(TimeSpan.FromSeconds(2));
        }
        if (!held || (exited && !condition()))
        {
            var story = run is null ? "" : $"\n--- budget-run's stderr ---\n{run.StderrSoFar}";
            throw new XunitException(exited
                ? $"budget-run exited (code {run!.ExitCode}) before {what}{story}"
                : $"timed out after {limit.TotalSeconds:0.###}s waiting for {what}{story}");
        }
    }

    /// <summary>Waits for a pid file written by test-child and returns the pid.</summary>
    public static async Task<int> ForPidAsync(string pidFile, BudgetRunProcess? run = null)
    {
        // The file exists a moment before its content does: wait for a whole pid, not for the name.
        var pid = 0;
        await UntilAsync(() => File.Exists(pidFile)
                && int.TryParse(File.ReadAllText(pidFile).Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out pid),
            TimeSpan.FromSeconds(15), $"the pid file {Path.GetFileName(pidFile)} was written", run);
        return pid;
    }

    /// <summary>
    /// Waits for budget-run's <c>control plane listening on http://ADDR:PORT</c> line (start it with
    /// <c>--listen 127.0.0.1:0</c>) and returns that base URL.
    /// </summary>
    public static async Task<Uri> ForControlPlaneAsync(BudgetRunProcess run)
    {
        Uri? url = null;
        await UntilAsync(() => (url = ListeningUrl(run.StderrSoFar)) is not null, TimeSpan.FromSeconds(15),
            "the 'control plane listening on' line", run);
        return url!;
    }

    /// <summary>
    /// Waits for <c>budget-run serve</c>'s <c>serving budget K (ledger) on http://ADDR:PORT</c> line
    /// (start it with <c>--listen 127.0.0.1:0</c>) and returns that base URL.
    /// </summary>
    public static async Task<Uri> ForSidecarAsync(BudgetRunProcess serve)
    {
        Uri? url = null;
        await UntilAsync(() => (url = ServingUrl(serve.StderrSoFar)) is not null, TimeSpan.FromSeconds(20),
            "the 'serving budget ... on http://...' line", serve);
        return url!;
    }

    /// <summary>The URL of the first <c>serving budget ... on URL</c> line, or null; a wildcard address becomes loopback.</summary>
    public static Uri? ServingUrl(string stderr) =>
        ServingLine().Match(stderr) is { Success: true } match
            ? new Uri(match.Groups["url"].Value
                .Replace("//0.0.0.0:", "//127.0.0.1:", StringComparison.Ordinal)
                .Replace("//[::]:", "//[::1]:", StringComparison.Ordinal))
            : null;

    // Text log: "serving budget K (ledger) on http://..."; JSON log: the URL in quotes, maybe escaped.
    [GeneratedRegex(LogMarkers.ServingBudget + @".*? on \\?""?(?<url>http://[^\s""\\]+)")]
    private static partial Regex ServingLine();

    /// <summary>The URL of the first <c>control plane listening on URL</c> line in <paramref name="stderr"/>, or null.</summary>
    public static Uri? ListeningUrl(string stderr)
    {
        const string Marker = LogMarkers.ControlPlaneListening;
        var start = stderr.IndexOf(Marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }
        start += Marker.Length;
        // The JSON log format quotes the URL inside the rendered message: \"http://...\"
        while (start < stderr.Length && stderr[start] is '\\' or '"')
        {
            start++;
        }
        var end = stderr.IndexOfAny([' ', '\n', '\r', '"', '\\'], start);
        return end < 0 ? null : new Uri(stderr[start..end]);
    }

    /// <summary>True when <paramref name="pid"/> has died (or is a zombie) within <paramref name="limit"/>.</summary>
    public static Task<bool> ForDeathAsync(int pid, TimeSpan limit) => ForAsync(() => !Posix.IsAlive(pid), limit);
}
