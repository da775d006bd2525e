using System.Diagnostics;
using System.Text;
using Xunit.Sdk;

namespace BudgetRun.Observability.Tests.Infrastructure;

/// <summary>
/// A program a test started (a server, budget-run, promtool): its output captured line by line,
/// stdout and stderr interleaved as they arrive. Disposing it kills the whole process tree, so a
/// failed test leaves nothing running.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _stderr = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public ChildProcess(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        Description = $"{Path.GetFileName(program)} {string.Join(' ', args)}";
        var start = ProcessStart.Info(program, args, environment);
        start.WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory;
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, line) => Append(line.Data, stderr: false);
        _process.ErrorDataReceived += (_, line) => Append(line.Data, stderr: true);
        _process.Start();
        _process.StandardInput.Close();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Description { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>stdout and stderr so far, interleaved.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>stderr so far.</summary>
    public string Stderr
    {
        get
        {
            lock (_output)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Runs a program to its end (bounded) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string program, IEnumerable<string> args, TimeSpan limit, string? workingDirectory = null)
    {
        using var child = new ChildProcess(program, args, workingDirectory: workingDirectory);
        var code = await child.WaitForExitAsync(limit);
        return (code, child.Output);
    }

    /// <summary>Waits for the exit; kills the tree and fails the test after <paramref name="limit"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan limit)
    {
        using (var timeout = new CancellationTokenSource(limit))
        {
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Kill();
                throw new XunitException($"{Description} did not exit within {limit.TotalSeconds:0.#}s and was killed\n--- output ---\n{Output}");
            }
        }
        _process.WaitForExit(TimeSpan.FromSeconds(5)); // drains the redirected output (bounded: a leftover process may hold the pipe)
        return _process.ExitCode;
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited in between.
        }
    }

    private void Append(string? line, bool stderr)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.Append(line).Append('\n');
            if (stderr)
            {
                _stderr.Append(line).Append('\n');
            }
        }
    }
}
