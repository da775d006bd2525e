using System.Runtime.InteropServices;

namespace BudgetRun.Bench.Measuring;

/// <summary>libc calls for timing a process's death precisely: pidfd_open(2) and poll(2).</summary>
internal static unsafe partial class NativeMethods
{
    public const int SIGTERM = 15;
    public const short POLLIN = 0x1;
    public const int EINTR = 4;

    [LibraryImport("libc", EntryPoint = "pidfd_open", SetLastError = true)]
    public static partial int PidfdOpen(int pid, uint flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
