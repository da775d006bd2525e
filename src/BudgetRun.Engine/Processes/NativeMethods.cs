using System.Runtime.InteropServices;

namespace BudgetRun.Engine.Processes;

/// <summary>
/// P/Invoke surface: libc for plain calls, and budget-run's small native helper (native/*.c) for
/// what must happen between fork and exec. With Native AOT the helper is linked in statically.
/// </summary>
internal static unsafe partial class NativeMethods
{
    private const string Helper = "libbudgetrun_native";
    private const string Libc = "libc";

    public const int ESRCH = 3;
    public const int ENOENT = 2;
    public const int EACCES = 13;
    public const int X_OK = 1;

    [LibraryImport(Helper, EntryPoint = "br_init")]
    public static partial int Init();

    [LibraryImport(Helper, EntryPoint = "br_signal_is_ignored")]
    public static partial int SignalIsIgnored(int signal);

    /// <summary>0 SIG_DFL, 1 SIG_IGN, 2 a handler, -1 a signal reserved by the C library.</summary>
    [LibraryImport(Helper, EntryPoint = "br_signal_disposition")]
    public static partial int SignalDisposition(int signal);

    [LibraryImport(Helper, EntryPoint = "br_spawn")]
    public static partial int Spawn(byte* path, byte** argv, byte** envp, int ttyFd, int pdeathSignal, int cgroupFd,
        int stdoutFd, int stderrFd, out int execErrno, out int cgroupErrno);

    /// <summary>A pipe (read end, write end), both close-on-exec and above 2, of <paramref name="size"/> bytes where allowed (0: the default): 0, or the errno.</summary>
    [LibraryImport(Helper, EntryPoint = "br_pipe")]
    public static partial int Pipe(int* fds, int size);

    /// <summary>1 when the two descriptors are open on the same file, 0 when not, -1 when one is not open.</summary>
    [LibraryImport(Helper, EntryPoint = "br_same_file")]
    public static partial int SameFile(int a, int b);

    /// <summary>Copies the pipe <paramref name="inFd"/> to <paramref name="outFd"/> until its end (native/budgetrun_native.c, br_pump): 0 or the errno that ended it.</summary>
    [LibraryImport(Helper, EntryPoint = "br_pump")]
    public static partial int Pump(int inFd, int outFd, int wakeFd, byte* tail, int keep, out int tailLength, out long total);

    [LibraryImport(Libc, EntryPoint = "write")]
    public static partial nint Write(int fd, byte* buffer, nint count);

    /// <summary>0 when a child can be created in the cgroup open as <paramref name="cgroupFd"/>, else the clone's errno.</summary>
    [LibraryImport(Helper, EntryPoint = "br_cgroup_probe")]
    public static partial int CgroupProbe(int cgroupFd);

    [LibraryImport(Helper, EntryPoint = "br_tty_reclaim")]
    public static partial int TtyReclaim(int fd, int childGroup);

    [LibraryImport(Helper, EntryPoint = "br_job_stop")]
    public static partial int JobStop(int fd, int childGroup, int signal);

    [LibraryImport(Helper, EntryPoint = "br_tty_is_foreground")]
    public static partial int TtyIsForeground(int fd);

    [LibraryImport(Helper, EntryPoint = "br_wait_any")]
    public static partial int WaitAny(out int status);

    /// <summary>A pidfd (close-on-exec) for <paramref name="pid"/>, or -errno.</summary>
    [LibraryImport(Helper, EntryPoint = "br_pidfd_open")]
    public static partial int PidfdOpen(int pid);

    /// <summary>Sends <paramref name="signal"/> through a pidfd: 0, or the errno (ESRCH once the process has exited).</summary>
    [LibraryImport(Helper, EntryPoint = "br_pidfd_signal")]
    public static partial int PidfdSignal(int pidfd, int signal);

    /// <summary>lstat: the owner and the mode with its file type bits (never follows a link); 0 or the errno.</summary>
    [LibraryImport(Helper, EntryPoint = "br_path_owner", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int PathOwner(string path, out uint uid, out uint mode);

    [LibraryImport(Libc, EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    [LibraryImport(Libc, EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport(Libc, EntryPoint = "getpgid")]
    public static partial int GetPgid(int pid);

    [LibraryImport(Libc, EntryPoint = "getpid")]
    public static partial int GetPid();

    [LibraryImport(Libc, EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Access(string path, int mode);

    /// <summary>Opens a directory (a cgroup) for clone3's CLONE_INTO_CGROUP: O_RDONLY | O_DIRECTORY | O_CLOEXEC.</summary>
    public static int OpenDirectory(string path)
    {
        const int ODirectory = 0x10000, OCloexec = 0x80000;
        return Open(path, ODirectory | OCloexec);
    }

    [LibraryImport(Libc, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport(Libc, EntryPoint = "close")]
    public static partial int Close(int fd);

    [LibraryImport(Libc, EntryPoint = "waitid", SetLastError = true)]
    private static partial int WaitId(int idType, int id, byte* info, int options);

    /// <summary>
    /// Whether this process has any child, running or exited but not reaped yet (waitid with
    /// WNOHANG | WNOWAIT: nothing is reaped). As subreaper, no child means no descendant at all.
    /// </summary>
    public static bool HasChildren()
    {
        const int PAll = 0, WNoHang = 1, WExited = 4, WNoWait = 0x01000000;
        var info = stackalloc byte[128]; // siginfo_t
        return WaitId(PAll, 0, info, WExited | WNoHang | WNoWait) == 0;
    }

    [LibraryImport(Libc, EntryPoint = "strerror")]
    private static partial nint StrError(int errno);

    public static string ErrorText(int errno) => Marshal.PtrToStringUTF8(StrError(errno)) ?? $"errno {errno}";
}
