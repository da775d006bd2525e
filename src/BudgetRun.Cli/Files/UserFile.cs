using System.Runtime.InteropServices;
using System.Text;
using BudgetRun.Cli.CommandLine;

namespace BudgetRun.Cli.Files;

/// <summary>
/// The one gate for files at a path the user gave: only a regular file is read, its type is known
/// before it is opened (opening a FIFO would block, a device like /dev/zero never ends), and no more
/// than the documented bytes are read. Anything else is one usage-error line, at once.
/// </summary>
internal static partial class UserFile
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const uint StatxSize = 0x200;
    private const int StatxBufferSize = 256; // struct statx: the same fixed layout on every architecture
    private const int ModeOffset = 28;
    private const int SizeOffset = 40;
    private const int ENOENT = 2;
    private const int ENOTDIR = 20;
    private const int ENOSYS = 38;

    /// <summary>What <paramref name="path"/> is; an error other than "no such file" is an <see cref="IOException"/>.</summary>
    public static FileKind KindOf(string path) => Stat(path).Kind;

    /// <summary>The text of a regular file of at most <paramref name="maxBytes"/> bytes, or a <see cref="UsageException"/> naming <paramref name="source"/>.</summary>
    public static string ReadText(string source, string path, int maxBytes)
    {
        FileKind kind;
        long size;
        try
        {
            (kind, size) = Stat(path);
        }
        catch (IOException ex)
        {
            throw new UsageException($"{source}: cannot read '{path}': {ex.Message}");
        }
        if (kind == FileKind.Missing)
        {
            throw new UsageException($"{source}: '{path}' does not exist");
        }
        if (kind != FileKind.Regular)
        {
            throw new UsageException($"{source}: '{path}' is {Describe(kind)}, not a regular file");
        }
        if (size > maxBytes)
        {
            throw new UsageException($"{source}: '{path}' is larger than {maxBytes} bytes");
        }
        try
        {
            // Bounded even if the file grew (or was swapped) since the stat: one byte more than allowed tells "too large".
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            var buffer = new byte[maxBytes + 1];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0)
            {
                length += read;
            }
            return length > maxBytes
                ? throw new UsageException($"{source}: '{path}' is larger than {maxBytes} bytes")
                : new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetString(buffer, 0, length);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{source}: cannot read '{path}': {ex.Message}");
        }
    }

    /// <summary>
    /// Null when <paramref name="path"/> may be replaced by a regular file (it is one, or nothing is
    /// there); otherwise why not, e.g. "'/dev/null' is a character device, not a regular file".
    /// </summary>
    public static string? WhyNotReplaceable(string path, bool directoryAllowed = false)
    {
        FileKind kind;
        try
        {
            kind = KindOf(path);
        }
        catch (IOException ex)
        {
            return $"cannot inspect '{path}': {ex.Message}";
        }
        return kind is FileKind.Missing or FileKind.Regular || (directoryAllowed && kind == FileKind.Directory)
            ? null
            : $"'{path}' is {Describe(kind)}, not a regular file";
    }

    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Directory => "a directory",
        FileKind.Fifo => "a FIFO (named pipe)",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Socket => "a socket",
        FileKind.Regular => "a regular file",
        FileKind.Missing => "missing",
        _ => "not a regular file",
    };

    private static (FileKind Kind, long Size) Stat(string path)
    {
        var buffer = new byte[StatxBufferSize];
        int result;
        try
        {
            result = Statx(AtFdCwd, path, 0, StatxType | StatxSize, buffer);
        }
        catch (EntryPointNotFoundException)
        {
            return Fallback(path); // a libc older than glibc 2.28
        }
        if (result != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno switch
            {
                ENOENT or ENOTDIR => (FileKind.Missing, 0),
                ENOSYS => Fallback(path), // a kernel or seccomp profile without statx
                _ => throw new IOException(Marshal.GetPInvokeErrorMessage(errno)),
            };
        }
        var mode = BitConverter.ToUInt16(buffer, ModeOffset);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x1000 => FileKind.Fifo,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            0xC000 => FileKind.Socket,
            _ => FileKind.Other,
        };
        return (kind, BitConverter.ToInt64(buffer, SizeOffset));
    }

    /// <summary>Without statx .NET tells only directory, file or missing; the bounded read still holds.</summary>
    private static (FileKind, long) Fallback(string path)
    {
        if (Directory.Exists(path))
        {
            return (FileKind.Directory, 0);
        }
        var info = new FileInfo(path);
        return info.Exists ? (FileKind.Regular, info.Length) : (FileKind.Missing, 0);
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int directoryFd, string path, int flags, uint mask, [Out] byte[] buffer);
}
