using System.Collections;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;

namespace BudgetRun.Engine.Processes;

/// <summary>
/// Starts each attempt's child in its own process group with default signal dispositions, an
/// empty signal mask, a parent-death signal and, at an interactive terminal, the terminal's
/// foreground. stdin, stdout and stderr are inherited untouched: output passes through whole;
/// only a start that asks for it (<see cref="ChildStartInfo.Capture"/>) has an <see cref="OutputTap"/> in between.
/// Job control: when Ctrl-Z stops the child while it has the terminal, budget-run takes the
/// terminal back and stops too, so the shell regains it; <c>fg</c> or <c>bg</c> continue both.
/// With the run's cgroup, each child is created in a cgroup of its own attempt.
/// </summary>
internal sealed class PosixChildLauncher : IChildLauncher
{
    private const int StdinFd = 0;

    private readonly ChildReaper _reaper;
    private readonly SpawnThread _spawner;
    private readonly TimeProvider _time;
    private readonly CancellationToken _kill;
    private readonly CgroupMode _mode;
    private readonly ILogger? _logger;
    private RunCgroup? _cgroups;

    /// <summary>
    /// Sets up the process (subreaper, SIGCHLD) once; call before any child exists. Cancelling
    /// <paramref name="kill"/> SIGKILLs a child's tree at once, even in the middle of its kill grace.
    /// </summary>
    /// <param name="time">The clock of the grace periods.</param>
    /// <param name="kill">See the summary.</param>
    /// <param name="cgroups">The run's cgroup (<see cref="RunCgroup.Open(CgroupMode, string, AttemptLimits, out string)"/>); null: no attempt gets one.</param>
    /// <param name="mode">With <see cref="CgroupMode.Required"/>, a child that cannot be created in its cgroup is not started at all.</param>
    /// <param name="logger">Where a fallback from the cgroup is said, once, at debug level.</param>
    public PosixChildLauncher(TimeProvider time, CancellationToken kill = default, RunCgroup? cgroups = null,
        CgroupMode mode = CgroupMode.Auto, ILogger? logger = null)
    {
        _time = time;
        _kill = kill;
        _cgroups = cgroups;
        _mode = mode;
        _logger = logger;
        var error = NativeMethods.Init();
        if (error != 0)
        {
            // Every Linux since 3.4 has it; an emulator (qemu-user 7) or a sandbox may refuse it. As
            // tini does, go on and say so: the child's group, its cgroup and the parent-death signal
            // still hold, but a descendant that leaves the group is not found without a cgroup.
            SubreaperUnavailable = NativeMethods.ErrorText(error);
            if (logger is not null)
            {
                LogNoSubreaper(logger, SubreaperUnavailable);
            }
        }
        // The reaper's and the spawner's threads call the native helper: they start only once this
        // thread has loaded it (a framework-dependent build without it fails here, in one line,
        // never on a thread of its own) and made budget-run a subreaper.
        _reaper = new ChildReaper();
        _spawner = new SpawnThread();
    }

    /// <summary>Where each child's process group is recorded as it starts, for <c>budget-run reap</c> after a SIGKILL of budget-run; null: nowhere.</summary>
    public LeftoverRecorder? Leftovers { get; set; }

    /// <summary>Orphaned descendants reaped so far.</summary>
    public long OrphansReaped => _reaper.OrphansReaped;

    public IChildProcess Start(ChildStartInfo startInfo)
    {
        var environment = BuildEnvironment(startInfo.ExtraEnvironment, startInfo.HiddenEnvironment);
        environment.TryGetValue("PATH", out var path);
        var file = CommandResolver.Resolve(startInfo.Command[0], path);

        var argv = startInfo.Command.ToArray();
        var envp = environment.Select(pair => pair.Key + "=" + pair.Value).ToArray();
        var tap = startInfo.Capture == OutputStreams.None ? null : OutputTap.Open(startInfo.Capture);
        var output = (tap?.ChildStdout ?? -1, tap?.ChildStderr ?? -1);
        AttemptCgroup? cgroup = null;
        try
        {
            if (_cgroups is not null && startInfo.OwnCgroup)
            {
                cgroup = _cgroups.CreateAttempt(out var whyNoCgroup);
                if (cgroup is null)
                {
                    Unavailable(whyNoCgroup);
                }
            }
        }
        catch
        {
            tap?.Abandon();
            throw;
        }
        var (pid, execErrno, exited, cgroupErrno) = cgroup is null ? (-1, 0, null!, 0) : SpawnIn(cgroup, file, argv, envp, output);
        if (cgroupErrno != 0)
        {
            _ = cgroup!.TryRemove();
            cgroup = null;
            try
            {
                Unavailable($"cannot start a process in an attempt's cgroup: {NativeMethods.ErrorText(cgroupErrno)}");
            }
            catch
            {
                tap?.Abandon();
                throw;
            }
        }
        if (cgroup is null)
        {
            (pid, execErrno, exited, _) = _spawner.Invoke(() => SpawnTracked(file, argv, envp, -1, output));
        }
        if (pid < 0)
        {
            tap?.Abandon();
            _ = cgroup?.TryRemove();
            throw new ChildStartException(StartFailure.NotExecutable, $"cannot start {file}: {NativeMethods.ErrorText(execErrno)}");
        }
        if (execErrno != 0)
        {
            // The child has already exited with 127; the reaper collects it. Its cgroup can go once it
            // is reaped (it leaves the cgroup after it closed the pipe that reported the error).
            tap?.Abandon();
            ReclaimTerminal(pid);
            if (cgroup is not null)
            {
                _reaper.WaitUntilReaped(pid); // it has exited: only the reaper's waitpid is left
                _ = cgroup.TryRemove();
            }
            var failure = execErrno == NativeMethods.ENOENT ? StartFailure.NotFound : StartFailure.NotExecutable;
            throw new ChildStartException(failure, $"cannot execute {file}: {NativeMethods.ErrorText(execErrno)}");
        }
        tap?.Start();
        Leftovers?.Started(pid);
        // On the thread that completes the exit (the main thread's loop): a thread-pool hop here would start the pool.
        var afterExit = exited.ContinueWith(task => task.Result with { HadTerminal = ReclaimTerminal(pid) },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return new PosixChildProcess(pid, afterExit, _reaper, _time, _kill, cgroup, tap);
    }

    private (int Pid, int ExecErrno, Task<ChildExit> Exited, int CgroupErrno) SpawnIn(AttemptCgroup cgroup, string file, string[] argv, string[] envp,
        (int Stdout, int Stderr) output)
    {
        var fd = cgroup.OpenForSpawn();
        if (fd < 0)
        {
            return (-1, 0, null!, NativeMethods.EACCES);
        }
        try
        {
            return _spawner.Invoke(() => SpawnTracked(file, argv, envp, fd, output));
        }
        finally
        {
            _ = NativeMethods.Close(fd);
        }
    }

    /// <summary>
    /// The cgroup cannot be used after all (the probe at start passed): with <c>--cgroup required</c>
    /// nothing starts; otherwise this and every later attempt run without one, said once.
    /// </summary>
    private void Unavailable(string reason)
    {
        if (_mode == CgroupMode.Required)
        {
            throw new ChildStartException(StartFailure.NotExecutable, $"--cgroup required: {reason}");
        }
        if (_logger is not null)
        {
            LogCgroupFallback(_logger, reason);
        }
        _cgroups = null;
    }

    /// <summary>Why budget-run is not a child subreaper (PR_SET_CHILD_SUBREAPER was refused); null when it is.</summary>
    public string? SubreaperUnavailable { get; }

    // LoggerMessage.Define written out, as [LoggerMessage] would generate it (same event ids): the
    // generator of .NET 10 emits an assembly's classes in an order that changes from build to build
    // (dotnet/runtime#119587, fixed in .NET 11), and that order reaches the Native AOT binary
    // through the assembly's MVID. With Supervisor as the Engine's only generated class, the
    // binary is reproducible.
    private static readonly Action<ILogger, string, Exception?> NoSubreaperMessage = LoggerMessage.Define<string>(
        LogLevel.Warning, new EventId(316221821, nameof(LogNoSubreaper)),
        "budget-run cannot be a child subreaper here (PR_SET_CHILD_SUBREAPER: {Reason}): a process that leaves the child's process group is only found through the attempt's cgroup",
        new LogDefineOptions { SkipEnabledCheck = true });

    private static readonly Action<ILogger, string, Exception?> CgroupFallbackMessage = LoggerMessage.Define<string>(
        LogLevel.Debug, new EventId(1092087545, nameof(LogCgroupFallback)), "attempts run without a cgroup of their own: {Reason}",
        new LogDefineOptions { SkipEnabledCheck = true });

    private static void LogNoSubreaper(ILogger logger, string reason)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            NoSubreaperMessage(logger, reason, null);
        }
    }

    private static void LogCgroupFallback(ILogger logger, string reason)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            CgroupFallbackMessage(logger, reason, null);
        }
    }

    /// <summary>
    /// Takes the terminal back if the child's group (pid) still has it; true when it had it, i.e.
    /// the child ended as the terminal's foreground job, where a Ctrl-C would have reached it.
    /// </summary>
    private static bool ReclaimTerminal(int pid) => NativeMethods.TtyReclaim(StdinFd, pid) == 1;

    /// <summary>
    /// Runs on the reaper thread when the child is stopped. A job-control stop while the child's
    /// group has our terminal (Ctrl-Z) suspends budget-run as well, until the shell continues it.
    /// Any other stop (SIGSTOP, no terminal, a background run) is the operator's business: the
    /// child stays stopped and budget-run keeps waiting.
    /// </summary>
    private static void OnChildStopped(int pid, int signal)
    {
        if (signal is Signals.SIGTSTP or Signals.SIGTTIN or Signals.SIGTTOU)
        {
            _ = NativeMethods.JobStop(StdinFd, pid, signal);
        }
    }

    private unsafe (int Pid, int ExecErrno, Task<ChildExit> Exited, int CgroupErrno) SpawnTracked(string file, string[] argv, string[] envp, int cgroupFd,
        (int Stdout, int Stderr) output)
    {
        var nativeFile = Utf8(file);
        var nativeArgv = Utf8Array(argv);
        var nativeEnvp = Utf8Array(envp);
        try
        {
            // Hand the terminal over only when we are in its foreground group ourselves: a background
            // budget-run (started with &, or sent there with bg) must not steal it from the shell.
            var ttyFd = NativeMethods.TtyIsForeground(StdinFd) == 1 ? StdinFd : -1;
            lock (_reaper.Gate)
            {
                var pid = NativeMethods.Spawn((byte*)nativeFile, (byte**)nativeArgv, (byte**)nativeEnvp,
                    ttyFd, Signals.SIGKILL, cgroupFd, output.Stdout, output.Stderr, out var execErrno, out var cgroupErrno);
                var exited = pid > 0 ? _reaper.Track(pid, signal => OnChildStopped(pid, signal)) : Task.FromResult(default(ChildExit));
                return (pid, execErrno, exited, cgroupErrno);
            }
        }
        finally
        {
            Marshal.FreeHGlobal(nativeFile);
            FreeArray(nativeArgv, argv.Length);
            FreeArray(nativeEnvp, envp.Length);
        }
    }

    private static Dictionary<string, string> BuildEnvironment(IReadOnlyDictionary<string, string> extra, IReadOnlySet<string>? hidden)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            var key = (string)entry.Key;
            if (hidden is null || !hidden.Contains(key))
            {
                environment[key] = (string?)entry.Value ?? string.Empty;
            }
        }
        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }
        return environment;
    }

    private static unsafe nint Utf8(string value)
    {
        var bytes = Encoding.UTF8.GetByteCount(value);
        var buffer = Marshal.AllocHGlobal(bytes + 1);
        var span = new Span<byte>((void*)buffer, bytes + 1);
        Encoding.UTF8.GetBytes(value, span);
        span[bytes] = 0;
        return buffer;
    }

    private static unsafe nint Utf8Array(string[] values)
    {
        var array = (nint*)Marshal.AllocHGlobal((values.Length + 1) * sizeof(nint));
        for (var i = 0; i < values.Length; i++)
        {
            array[i] = Utf8(values[i]);
        }
        array[values.Length] = 0;
        return (nint)array;
    }

    private static unsafe void FreeArray(nint array, int length)
    {
        var items = (nint*)array;
        for (var i = 0; i < length; i++)
        {
            Marshal.FreeHGlobal(items[i]);
        }
        Marshal.FreeHGlobal(array);
    }
}
