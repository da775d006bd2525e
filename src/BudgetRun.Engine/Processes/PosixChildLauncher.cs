using System.Collections;
using System.Runtime.InteropServices;
using System.Text;

namespace BudgetRun.Engine.Processes;

/// <summary>
/// Starts each attempt's child in its own process group with default signal dispositions, an
/// empty signal mask, a parent-death signal and, at an interactive terminal, the terminal's
/// foreground. stdin, stdout and stderr are inherited untouched: output passes through whole.
/// </summary>
internal sealed class PosixChildLauncher : IChildLauncher
{
    private const int StdinFd = 0;

    private readonly ChildReaper _reaper = new();
    private readonly SpawnThread _spawner = new();
    private readonly TimeProvider _time;
    private readonly bool _ownsTerminal;

    /// <summary>Sets up the process (subreaper, SIGCHLD) once; call before any child exists.</summary>
    public PosixChildLauncher(TimeProvider time)
    {
        _time = time;
        var error = NativeMethods.Init();
        if (error != 0)
        {
            throw new InvalidOperationException($"cannot become a child subreaper: {NativeMethods.ErrorText(error)}");
        }
        // Hand the terminal over only when we are in its foreground group ourselves; a background
        // budget-run must not steal the terminal from the shell.
        _ownsTerminal = NativeMethods.TtyIsForeground(StdinFd) == 1;
    }

    /// <summary>Orphaned descendants reaped so far.</summary>
    public long OrphansReaped => _reaper.OrphansReaped;

    public IChildProcess Start(ChildStartInfo startInfo)
    {
        var environment = BuildEnvironment(startInfo.ExtraEnvironment, startInfo.HiddenEnvironment);
        environment.TryGetValue("PATH", out var path);
        var file = CommandResolver.Resolve(startInfo.Command[0], path);

        var argv = startInfo.Command.ToArray();
        var envp = environment.Select(pair => pair.Key + "=" + pair.Value).ToArray();
        var (pid, execErrno, exited) = _spawner.Invoke(() => SpawnTracked(file, argv, envp));
        if (pid < 0)
        {
            throw new ChildStartException(StartFailure.NotExecutable, $"cannot start {file}: {NativeMethods.ErrorText(execErrno)}");
        }
        if (execErrno != 0)
        {
            // The child has already exited with 127; the reaper collects it.
            ReclaimTerminal();
            var failure = execErrno == NativeMethods.ENOENT ? StartFailure.NotFound : StartFailure.NotExecutable;
            throw new ChildStartException(failure, $"cannot execute {file}: {NativeMethods.ErrorText(execErrno)}");
        }
        return new PosixChildProcess(pid, exited.ContinueWith(AfterExit, TaskScheduler.Default), _reaper, _time);
    }

    private ChildExit AfterExit(Task<ChildExit> exited)
    {
        ReclaimTerminal();
        return exited.Result;
    }

    private void ReclaimTerminal()
    {
        if (_ownsTerminal)
        {
            _ = NativeMethods.TtyReclaim(StdinFd);
        }
    }

    private unsafe (int Pid, int ExecErrno, Task<ChildExit> Exited) SpawnTracked(string file, string[] argv, string[] envp)
    {
        var nativeFile = Utf8(file);
        var nativeArgv = Utf8Array(argv);
        var nativeEnvp = Utf8Array(envp);
        try
        {
            lock (_reaper.Gate)
            {
                var pid = NativeMethods.Spawn((byte*)nativeFile, (byte**)nativeArgv, (byte**)nativeEnvp,
                    _ownsTerminal ? StdinFd : -1, Signals.SIGKILL, out var execErrno);
                var exited = pid > 0 ? _reaper.Track(pid) : Task.FromResult(default(ChildExit));
                return (pid, pid > 0 ? execErrno : execErrno, exited);
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
