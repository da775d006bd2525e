namespace BudgetRun.Engine.Processes;

/// <summary>How a child process ended: an exit code or a signal.</summary>
internal readonly record struct ChildExit(int? ExitCode, int? Signal)
{
    /// <summary>
    /// The child's group had the terminal's foreground when it ended, so the terminal's Ctrl-C
    /// (SIGINT) and Ctrl-\ went to it. A SIGINT death with the terminal is the user's interrupt;
    /// without it, an ordinary death by a signal.
    /// </summary>
    public bool HadTerminal { get; init; }

    public static ChildExit Exited(int code) => new(code, null);

    public static ChildExit Killed(int signal) => new(null, signal);

    /// <summary>The shell convention: the exit code, or 128 + the signal.</summary>
    public int Code => ExitCode ?? (ExitCodes.SignalBase + Signal!.Value);

    /// <summary>Decodes a waitpid status word (Linux layout).</summary>
    public static ChildExit FromWaitStatus(int status)
    {
        var low = status & 0x7f;
        return low == 0 ? Exited((status >> 8) & 0xff) : Killed(low);
    }

    /// <summary>
    /// Whether a waitpid status word reports a stop (WIFSTOPPED, seen with WUNTRACED) rather than
    /// an exit, and by which signal.
    /// </summary>
    public static bool IsStop(int status, out int signal)
    {
        signal = (status >> 8) & 0xff;
        return (status & 0xff) == 0x7f;
    }

    public override string ToString() =>
        Signal is { } s ? $"signal {Signals.Name(s)}" : $"exit code {ExitCode}";
}
