using System.Diagnostics;
using Xunit.Sdk;

namespace BudgetRun.Resilience.Tests.Infrastructure;

/// <summary>
/// A budget-run whose stdout is a pipe the test drains and counts without keeping the bytes (for
/// floods of a GiB) and whose stderr is kept line by line, with a running count of the attempts it
/// logged as started (for sampling a long run at known points). Disposing it kills what is left of
/// its process tree.
/// </summary>
internal sealed class StreamingRun : IDisposable
{
    private const string StartedMarker = LogMarkers.AttemptStarted;

    private readonly Process _process;
    private readonly List<string> _stderr = [];
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private readonly long? _closeStdoutAfter;
    private long _stdoutBytes;
    private long _nonZeroBytes;
    private int _attemptsStarted;

    private StreamingRun(IReadOnlyList<string> args, IReadOnlyDictionary<string, string?> environment, bool keepStdinOpen, long? closeStdoutAfter)
    {
        _closeStdoutAfter = closeStdoutAfter;
        _process = Process.Start(ProcessStart.Info(Executables.BudgetRun, args, environment)) ?? throw new XunitException("budget-run did not start");
        Pid = _process.Id;
        Stdin = _process.StandardInput.BaseStream;
        if (!keepStdinOpen)
        {
            Stdin.Dispose();
        }
        // Reads of a child's pipes block a thread on Linux: dedicated threads, so that fifty runs do
        // not starve the thread pool the test itself needs.
        _stdoutPump = Task.Factory.StartNew(DrainStdout, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        _stderrPump = Task.Factory.StartNew(ReadStderr, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public int Pid { get; }

    /// <summary>budget-run's stdin, open when started with keepStdinOpen.</summary>
    public Stream Stdin { get; }

    /// <summary>Bytes read from budget-run's stdout so far.</summary>
    public long StdoutBytes => Interlocked.Read(ref _stdoutBytes);

    /// <summary>How many of them were not zero.</summary>
    public long NonZeroBytes => Interlocked.Read(ref _nonZeroBytes);

    /// <summary>The "attempt N of M started" lines so far.</summary>
    public int AttemptsStarted => Volatile.Read(ref _attemptsStarted);

    public bool HasExited => _process.HasExited;

    public IReadOnlyList<string> StderrLines
    {
        get
        {
            lock (_stderr)
            {
                return [.. _stderr];
            }
        }
    }

    public string Stderr => string.Join('\n', StderrLines);

    /// <summary>
    /// Starts budget-run with <paramref name="args"/>; <paramref name="closeStdoutAfter"/> closes the
    /// test's end of the stdout pipe after that many bytes, as a reader like <c>head</c> does.
    /// </summary>
    public static StreamingRun Start(IReadOnlyList<string> args, IReadOnlyDictionary<string, string?> environment,
        bool keepStdinOpen = false, long? closeStdoutAfter = null) => new(args, environment, keepStdinOpen, closeStdoutAfter);

    /// <summary>Waits for the exit and the end of both pipes; on timeout kills the tree and fails the test.</summary>
    public async Task<int> WaitAsync(TimeSpan limit)
    {
        using var cancel = new CancellationTokenSource(limit);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Posix.KillTree(Pid);
            throw new XunitException($"budget-run did not exit (or its pipes did not close) within {limit.TotalSeconds:0.#}s; "
                + $"{StdoutBytes} stdout bytes read\n--- stderr ---\n{Stderr}");
        }
        return _process.ExitCode;
    }

    /// <summary>Waits until <paramref name="attempts"/> attempts have started; fails if budget-run exits first or after <paramref name="limit"/>.</summary>
    public async Task WaitForAttemptsAsync(int attempts, TimeSpan limit)
    {
        await Wait.ForAsync(() => AttemptsStarted >= attempts || HasExited, limit);
        if (AttemptsStarted < attempts)
        {
            throw new XunitException($"{AttemptsStarted} attempts started, not {attempts} (exited: {HasExited})\n--- stderr ---\n{Stderr}");
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Posix.KillTree(Pid);
        }
        _process.Dispose();
    }

    private void DrainStdout()
    {
        var stdout = _process.StandardOutput.BaseStream;
        var buffer = new byte[1 << 20];
        try
        {
            int read;
            while ((read = stdout.Read(buffer)) > 0)
            {
                var chunk = buffer.AsSpan(0, read);
                if (chunk.ContainsAnyExcept((byte)0))
                {
                    var nonZero = 0;
                    foreach (var b in chunk)
                    {
                        nonZero += b == 0 ? 0 : 1;
                    }
                    Interlocked.Add(ref _nonZeroBytes, nonZero);
                }
                if (Interlocked.Add(ref _stdoutBytes, read) >= _closeStdoutAfter)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The process object was disposed.
        }
        finally
        {
            if (_closeStdoutAfter is not null)
            {
                stdout.Dispose(); // the reader goes away: the writer's next write gets SIGPIPE
            }
        }
    }

    private void ReadStderr()
    {
        var stderr = _process.StandardError;
        try
        {
            string? line;
            while ((line = stderr.ReadLine()) is not null)
            {
                if (line.Contains(StartedMarker, StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref _attemptsStarted);
                }
                lock (_stderr)
                {
                    _stderr.Add(line);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The process object was disposed.
        }
    }
}
