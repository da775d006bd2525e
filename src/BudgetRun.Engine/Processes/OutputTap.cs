namespace BudgetRun.Engine.Processes;

/// <summary>
/// Puts budget-run in the path of a child's stdout or stderr, only when asked (<c>--retry-if-output</c>,
/// <c>--report-output-tail</c>): the child writes to a pipe, and a thread per pipe copies it to
/// budget-run's own descriptor byte for byte, as it comes (br_pump: tee and splice where the kernel
/// allows, so nothing is copied through user space), keeping the last <see cref="KeepBytes"/>.
/// When budget-run's stdout and stderr are the same file (a terminal, <c>2&gt;&amp;1</c>), both of the
/// child's go through one pipe, so that their order is kept exactly; the tail is then of both.
/// </summary>
internal sealed class OutputTap
{
    /// <summary>How much of the end of each stream is kept for the predicates and the report.</summary>
    public const int KeepBytes = 64 * 1024;

    /// <summary>The child's pipe: 1 MiB (Linux's default limit for a user), so that a fast writer, the pump and the reader after it wake each other far less often than with 64 KiB.</summary>
    private const int PipeSize = 1024 * 1024;

    private const int StdoutFd = 1;
    private const int StderrFd = 2;

    private sealed class Channel(string name, int readFd, int writeFd, int targetFd)
    {
        public string Name { get; } = name;
        public int ReadFd { get; } = readFd;
        public int WriteFd { get; set; } = writeFd;
        public int TargetFd { get; } = targetFd;
        /// <summary>Completed through <see cref="ThreadLoop.Post"/> of <see cref="ThreadLoop.Main"/>, never on the pump's thread.</summary>
        public TaskCompletionSource<CapturedStream> Done { get; } = new();
    }

    private readonly List<Channel> _channels = [];
    private readonly int _wakeRead;
    private int _wakeWrite;

    private OutputTap(int wakeRead, int wakeWrite)
    {
        _wakeRead = wakeRead;
        _wakeWrite = wakeWrite;
    }

    /// <summary>The descriptor the child's stdout becomes; -1: inherited.</summary>
    public int ChildStdout { get; private set; } = -1;

    /// <summary>The descriptor the child's stderr becomes; -1: inherited.</summary>
    public int ChildStderr { get; private set; } = -1;

    /// <summary>The pipes for <paramref name="streams"/>; nothing runs until <see cref="Start"/>.</summary>
    /// <exception cref="ChildStartException">A pipe cannot be made (out of descriptors).</exception>
    public static OutputTap Open(OutputStreams streams)
    {
        var (wakeRead, wakeWrite) = MakePipe(0);
        var tap = new OutputTap(wakeRead, wakeWrite);
        try
        {
            if (NativeMethods.SameFile(StdoutFd, StderrFd) == 1)
            {
                var (read, write) = MakePipe(PipeSize);
                tap._channels.Add(new Channel("stdout+stderr", read, write, StdoutFd));
                tap.ChildStdout = tap.ChildStderr = write;
                return tap;
            }
            if (streams.HasFlag(OutputStreams.Stdout))
            {
                var (read, write) = MakePipe(PipeSize);
                tap._channels.Add(new Channel("stdout", read, write, StdoutFd));
                tap.ChildStdout = write;
            }
            if (streams.HasFlag(OutputStreams.Stderr))
            {
                var (read, write) = MakePipe(PipeSize);
                tap._channels.Add(new Channel("stderr", read, write, StderrFd));
                tap.ChildStderr = write;
            }
            return tap;
        }
        catch
        {
            tap.Abandon();
            throw;
        }
    }

    /// <summary>After the child started: budget-run's copies of the write ends close, and the copying begins.</summary>
    public void Start()
    {
        foreach (var channel in _channels)
        {
            CloseWriteEnd(channel);
            var thread = new Thread(() => Pump(channel), maxStackSize: 256 * 1024)
            {
                IsBackground = true,
                Name = "budget-run output " + channel.Name,
            };
            thread.Start();
        }
    }

    /// <summary>The child did not start: every descriptor closes, nothing is copied.</summary>
    public void Abandon()
    {
        foreach (var channel in _channels)
        {
            CloseWriteEnd(channel);
            _ = NativeMethods.Close(channel.ReadFd);
        }
        CloseWake();
        _ = NativeMethods.Close(_wakeRead);
    }

    /// <summary>
    /// After the child and its descendants are gone: copies what is still in the pipes (their
    /// writers have ended, so it is all there), then returns each stream's end.
    /// </summary>
    public async Task<IReadOnlyList<CapturedStream>> FinishAsync()
    {
        Wake();
        var captured = new CapturedStream[_channels.Count];
        for (var i = 0; i < captured.Length; i++)
        {
            captured[i] = await _channels[i].Done.Task.ConfigureAwait(false);
        }
        CloseWake();
        _ = NativeMethods.Close(_wakeRead);
        return captured;
    }

    /// <summary>Tells every pump to stop once its pipe has nothing more waiting.</summary>
    private unsafe void Wake()
    {
        byte wake = 1;
        _ = NativeMethods.Write(_wakeWrite, &wake, 1);
    }

    private unsafe void Pump(Channel channel)
    {
        var tail = new byte[KeepBytes];
        int length;
        long total;
        fixed (byte* buffer = tail)
        {
            _ = NativeMethods.Pump(channel.ReadFd, channel.TargetFd, _wakeRead, buffer, KeepBytes, out length, out total);
        }
        // Closed at once, whatever ended the copy: after a broken pipe on budget-run's side (whoever
        // read its output has gone), the child's next write meets a broken pipe too, as it would have
        // without budget-run in between.
        _ = NativeMethods.Close(channel.ReadFd);
        var captured = new CapturedStream(channel.Name, tail.AsSpan(0, length).ToArray(), total);
        ThreadLoop.Main.Post(() => channel.Done.SetResult(captured));
    }

    private static void CloseWriteEnd(Channel channel)
    {
        if (channel.WriteFd >= 0)
        {
            _ = NativeMethods.Close(channel.WriteFd);
            channel.WriteFd = -1;
        }
    }

    private void CloseWake()
    {
        if (_wakeWrite >= 0)
        {
            _ = NativeMethods.Close(_wakeWrite);
            _wakeWrite = -1;
        }
    }

    private static unsafe (int Read, int Write) MakePipe(int size)
    {
        var fds = stackalloc int[2];
        var error = NativeMethods.Pipe(fds, size);
        if (error != 0)
        {
            throw new ChildStartException(StartFailure.NotExecutable, $"cannot tap the command's output: {NativeMethods.ErrorText(error)}");
        }
        return (fds[0], fds[1]);
    }
}
