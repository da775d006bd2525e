using System.Runtime.InteropServices;

namespace BudgetRun.TestChild;

/// <summary>The few libc calls the verbs need and .NET does not offer.</summary>
internal static partial class Native
{
    private const string Libc = "libc";

    /// <summary>SIG_DFL as a handler value.</summary>
    public const nint DefaultHandler = 0;

    [LibraryImport(Libc, EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport(Libc, EntryPoint = "getpid")]
    public static partial int GetPid();

    [LibraryImport(Libc, EntryPoint = "getppid")]
    public static partial int GetPpid();

    [LibraryImport(Libc, EntryPoint = "setsid", SetLastError = true)]
    public static partial int SetSid();

    [LibraryImport(Libc, EntryPoint = "signal")]
    public static partial nint SetHandler(int signal, nint handler);
}
