using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace BudgetRun.Bench.Measuring;

/// <summary>
/// A budget-run started for a measurement. Its stderr (text log format) is read line by line for
/// the two lines the benchmarks wait on: the control plane's address and the first attempt's pid.
/// Stdout and stdin are inherited.
/// </summary>
internal sealed partial class BudgetRunProcess : IAsyncDisposable
{
    private const int KeptStderrLines = 20;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stderrTail = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _attemptStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private BudgetRunProcess(Process process) => _process = process;

    /// <summary>
    /// The control plane's base address, from "control plane listening on http://..." (a run) or
    /// "serving budget KEY (LEDGER) on http://..." (the serve sidecar).
    /// </summary>
    public Task<Uri> Listening => _listening.Task;

    /// <summary>The pid of the first attempt's child, from "attempt 1 of N started: pid P".</summary>
    public Task<int> AttemptStarted => _attemptStarted.Task;

    public int Pid => _process.Id;

    /// <summary>The last stderr lines, for error messages.</summary>
    public string StderrTail => string.Join(" | ", _stderrTail);

    /// <summary>The latest exception line on stderr (e.g. "System.InvalidOperationException: ..."), or the last line.</summary>
    public string LastError =>
        _stderrTail.LastOrDefault(line => line.Contains("Exception: ", StringComparison.Ordinal)) ?? _stderrTail.LastOrDefault() ?? "";

    public static BudgetRunProcess Start(string binary, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(binary)
        {
            UseShellExecute = false,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var run = new BudgetRunProcess(process);
        process.ErrorDataReceived += (_, e) => run.OnStderrLine(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new BenchException($"cannot start {binary}: {ex.Message}", ex);
        }
        process.BeginErrorReadLine();
        return run;
    }

    public async Task<int> WaitForExitAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new BenchException($"budget-run (pid {_process.Id}) still running after {limit.TotalSeconds} s: {StderrTail}");
        }
        return _process.ExitCode;
    }

    /// <summary>Asks budget-run to stop as an operator would (SIGTERM), and waits.</summary>
    public Task<int> TerminateAsync(TimeSpan limit)
    {
        _ = NativeMethods.Kill(_process.Id, NativeMethods.SIGTERM);
        return WaitForExitAsync(limit);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
        _process.Dispose();
    }

    private void OnStderrLine(string? line)
    {
        if (line is null)
        {
            var ended = new BenchException($"budget-run closed stderr before it was ready: {StderrTail}");
            _listening.TrySetException(ended);
            _attemptStarted.TrySetException(ended);
            return;
        }
        _stderrTail.Enqueue(line);
        while (_stderrTail.Count > KeptStderrLines && _stderrTail.TryDequeue(out _))
        {
        }
        if (ListeningLine().Match(line) is { Success: true } listening)
        {
            _listening.TrySetResult(new Uri(listening.Groups["url"].Value));
        }
        else if (AttemptStartedLine().Match(line) is { Success: true } started)
        {
            _attemptStarted.TrySetResult(int.Parse(started.Groups["pid"].Value, CultureInfo.InvariantCulture));
        }
    }

    [GeneratedRegex(@"(?:listening on|serving budget .* on) (?<url>http://\S+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"attempt 1 of \d+ started: pid (?<pid>\d+)")]
    private static partial Regex AttemptStartedLine();
}
