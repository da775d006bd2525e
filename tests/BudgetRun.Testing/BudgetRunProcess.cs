using System.Diagnostics;
using System.Text;
using Xunit.Sdk;

namespace BudgetRun.Testing;

/// <summary>
/// One run of budget-run (or another program) as a test drives it: arguments and environment in,
/// stdout captured as bytes and stderr as text, signals sent with libc kill, and a hard time limit
/// after which the test fails and the whole process tree is killed. Disposing it kills whatever of
/// the tree is still running.
/// </summary>
internal sealed class BudgetRunProcess : IDisposable
{
    /// <summary>The variables budget-run reads; removed from the inherited environment so the host's cannot leak in.</summary>
    private static readonly string[] _budgetVariables = ["MAX_ATTEMPTS", "MAX_COST_CENTS", "COST_PER_ATTEMPT_CENTS"];

    private static readonly TimeSpan _drainLimit = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Every run of this test process records its leftovers here (BUDGET_RUN_STATE_DIR), not in the
    /// machine's /run/budget-run: a test that SIGKILLs budget-run leaves a record no other test reaps.
    /// A test may give its own.
    /// </summary>
    public static string StateDirectory => _stateDirectory.Value;

    private static readonly Lazy<string> _stateDirectory = new(() =>
    {
        var directory = Path.Combine(Path.GetTempPath(), $"budget-run-test-state-{Environment.ProcessId}");
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => ReapLeftovers(directory);
        return directory;
    });

    /// <summary>
    /// When the test process ends, every run it started has ended: what the SIGKILLed ones left
    /// (their records, their empty cgroups in the machine's hierarchy, any stray process) is
    /// removed by <c>budget-run reap</c> on this directory, as an operator would, and then the
    /// directory goes. Best effort: a test run must not fail on its way out.
    /// </summary>
    private static void ReapLeftovers(string directory)
    {
        try
        {
            if (Directory.EnumerateFiles(directory, "*.json").Any())
            {
                var start = ProcessStart.Info(Executables.BudgetRun, ["reap", "--state-dir", directory], []);
                using var reap = Process.Start(start)!;
                reap.StandardInput.Close();
                _ = reap.StandardOutput.ReadToEndAsync();
                _ = reap.StandardError.ReadToEndAsync();
                if (!reap.WaitForExit(TimeSpan.FromSeconds(30)))
                {
                    reap.Kill(entireProcessTree: true);
                    return; // its records stay for an operator's reap
                }
            }
            if (!Directory.EnumerateFiles(directory, "*.json").Any())
            {
                Directory.Delete(directory, recursive: true);
            }
        }
#pragma warning disable CA1031 // best effort on the way out
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private readonly Process _process;
    private readonly Stopwatch _clock;
    private readonly TimeSpan _timeout;
    private readonly string _description;
    private readonly MemoryStream _stdout = new();
    private readonly MemoryStream _stderr = new();
    private readonly Task _pumps;
    private long _exitedAtTicks = -1;

    private BudgetRunProcess(string program, IReadOnlyList<string> args, RunSettings settings)
    {
        _timeout = settings.Timeout;
        _description = $"{Path.GetFileName(program)} {string.Join(' ', args)}";
        var start = ProcessStart.Info(program, args,
            _budgetVariables.Select(name => KeyValuePair.Create(name, (string?)null))
                .Append(KeyValuePair.Create("BUDGET_RUN_STATE_DIR", (string?)StateDirectory))
                .Concat(settings.Environment));
        if (settings.WorkingDirectory is { } directory)
        {
            start.WorkingDirectory = directory;
        }

        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.Exited += (_, _) => Interlocked.CompareExchange(ref _exitedAtTicks, _clock!.Elapsed.Ticks, -1);
        _clock = Stopwatch.StartNew();
        _process.Start();
        Pid = _process.Id;

        _pumps = Task.WhenAll(
            PumpAsync(_process.StandardOutput.BaseStream, _stdout),
            PumpAsync(_process.StandardError.BaseStream, _stderr));
        Stdin = _process.StandardInput.BaseStream;
        if (!settings.KeepStdinOpen)
        {
            _ = FeedAsync(Stdin, settings.Stdin ?? []);
        }
    }

    public int Pid { get; }

    /// <summary>budget-run's stdin when <see cref="RunSettings.KeepStdinOpen"/>; close it for end of file.</summary>
    public Stream Stdin { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Time since the start.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>What the program has written to stderr so far.</summary>
    public string StderrSoFar
    {
        get
        {
            lock (_stderr)
            {
                return Encoding.UTF8.GetString(_stderr.GetBuffer(), 0, (int)_stderr.Length);
            }
        }
    }

    /// <summary>What the program has written to stdout so far, as UTF-8 text.</summary>
    public string StdoutSoFar
    {
        get
        {
            lock (_stdout)
            {
                return Encoding.UTF8.GetString(_stdout.GetBuffer(), 0, (int)_stdout.Length);
            }
        }
    }

    /// <summary>Starts budget-run with <paramref name="args"/>.</summary>
    public static BudgetRunProcess Start(IEnumerable<string> args, RunSettings? settings = null) =>
        StartProgram(Executables.BudgetRun, args, settings);

    /// <summary>Starts any program the same way (bash, python3).</summary>
    public static BudgetRunProcess StartProgram(string program, IEnumerable<string> args, RunSettings? settings = null) =>
        new(program, args.ToList(), settings ?? new RunSettings());

    /// <summary>Runs budget-run with <paramref name="args"/> to its end.</summary>
    public static async Task<ProcessResult> RunAsync(IEnumerable<string> args, RunSettings? settings = null)
    {
        using var run = Start(args, settings);
        return await run.WaitAsync();
    }

    /// <summary>Runs any program (bash, a script) to its end.</summary>
    public static async Task<ProcessResult> RunProgramAsync(string program, IEnumerable<string> args, RunSettings? settings = null)
    {
        using var run = StartProgram(program, args, settings);
        return await run.WaitAsync();
    }

    /// <summary>Sends <paramref name="signal"/> to the program itself (not its group).</summary>
    public void Signal(int signal)
    {
        if (_process.HasExited || !Posix.Kill(Pid, signal))
        {
            throw new XunitException($"cannot send signal {signal}: {_description} has already exited\n--- stderr ---\n{StderrSoFar}");
        }
    }

    /// <summary>
    /// Waits for the exit within the run's time limit (<see cref="RunSettings.Timeout"/> from the
    /// start) or, when given, within <paramref name="limit"/> from now; on timeout, kills the tree
    /// and fails the test.
    /// </summary>
    public async Task<ProcessResult> WaitAsync(TimeSpan? limit = null)
    {
        var timeout = limit ?? _timeout;
        var left = limit ?? _timeout - _clock.Elapsed;
        using (var cancel = new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.Zero))
        {
            try
            {
                await _process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                Posix.KillTree(Pid);
                throw new XunitException(
                    $"{_description} did not exit within {timeout.TotalSeconds:0.###}s and was killed\n--- stderr so far ---\n{StderrSoFar}");
            }
        }
        var exitedAt = Interlocked.Read(ref _exitedAtTicks) is var ticks and >= 0 ? TimeSpan.FromTicks(ticks) : _clock.Elapsed;

        // Output ends when the last holder of the pipes exits; a leftover descendant may hold them.
        var drained = await Task.WhenAny(_pumps, Task.Delay(_drainLimit)) == _pumps;
        byte[] stdout;
        lock (_stdout)
        {
            stdout = _stdout.ToArray();
        }
        return new ProcessResult(_process.ExitCode, stdout, StderrSoFar, exitedAt, drained);
    }

    /// <summary>Waits, at most <paramref name="limit"/>, until stdout and stderr are read to their end.</summary>
    public Task WaitForOutputAsync(TimeSpan limit) => Task.WhenAny(_pumps, Task.Delay(limit));

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Posix.KillTree(Pid);
        }
        _process.Dispose();
    }

    private static async Task PumpAsync(Stream source, MemoryStream sink)
    {
        var buffer = new byte[1 << 16];
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer)) > 0)
            {
                lock (sink)
                {
                    sink.Write(buffer, 0, read);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The process object was disposed while a leftover process held the pipe.
        }
    }

    private static async Task FeedAsync(Stream stdin, byte[] bytes)
    {
        try
        {
            await stdin.WriteAsync(bytes);
            await stdin.FlushAsync();
        }
        catch (IOException)
        {
            // The program exited without reading its input.
        }
        finally
        {
            stdin.Dispose();
        }
    }
}
