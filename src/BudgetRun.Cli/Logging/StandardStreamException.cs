namespace BudgetRun.Cli.Logging;

/// <summary>A write to stdout or stderr failed: the reader has gone (EPIPE) or the file is full (ENOSPC).</summary>
internal sealed class StandardStreamException(int fd, int errno, string reason) : IOException($"write to fd {fd} failed: {reason}")
{
    public const int EPIPE = 32;

    public int Fd { get; } = fd;

    public int Errno { get; } = errno;

    /// <summary>The C library's text for <see cref="Errno"/>, e.g. "No space left on device".</summary>
    public string Reason { get; } = reason;
}
