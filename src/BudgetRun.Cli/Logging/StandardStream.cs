using System.Runtime.InteropServices;

namespace BudgetRun.Cli.Logging;

/// <summary>
/// A write-only stream on file descriptor 1 or 2 that calls write(2) directly. A FileStream would
/// track its own offset on a seekable stderr and overwrite what the child wrote to the same file;
/// System.Console is avoided because initialising it installs the runtime's SIGCHLD handler, which
/// as PID 1 reaps every child and would steal the exit status of ours.
/// </summary>
internal sealed partial class StandardStream(int fd) : Stream
{
    public static StreamWriter Writer(int fd) => new(new StandardStream(fd)) { AutoFlush = true };

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            var written = 0;
            while (written < buffer.Length)
            {
                var result = SysWrite(fd, start + written, (nuint)(buffer.Length - written));
                if (result < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == 4) // EINTR
                    {
                        continue;
                    }
                    throw new StandardStreamException(fd, errno, Marshal.PtrToStringUTF8(StrError(errno)) ?? $"errno {errno}");
                }
                written += (int)result;
            }
        }
    }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    [LibraryImport("libc", EntryPoint = "strerror")]
    private static partial nint StrError(int errno);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint SysWrite(int fd, byte* buffer, nuint count);
}
