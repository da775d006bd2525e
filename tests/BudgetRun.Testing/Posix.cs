using System.Globalization;
using System.Runtime.InteropServices;

namespace BudgetRun.Testing;

/// <summary>Signals and the process table as the tests see them (libc kill, /proc).</summary>
internal static partial class Posix
{
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGQUIT = 3;
    public const int SIGKILL = 9;
    public const int SIGUSR1 = 10;
    public const int SIGSEGV = 11;
    public const int SIGUSR2 = 12;
    public const int SIGPIPE = 13;
    public const int SIGTERM = 15;
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;
    public const int SIGTSTP = 20;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int signal);

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when it does not exist.</summary>
    public static bool Kill(int pid, int signal)
    {
        if (pid <= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(pid), pid, "refusing to signal a process group or init");
        }
        return KillNative(pid, signal) == 0;
    }

    /// <summary>SIGKILL to <paramref name="pid"/> and everything below it (the descendants are listed first, while they still have parents).</summary>
    public static void KillTree(int pid)
    {
        var descendants = Descendants(pid);
        Kill(pid, SIGKILL);
        foreach (var descendant in descendants)
        {
            Kill(descendant.Pid, SIGKILL);
        }
    }

    /// <summary>One line of /proc/PID/stat, or null when the process is gone.</summary>
    public static ProcStat? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // "pid (comm) S ppid pgrp session tty_nr tpgid ...": comm may hold spaces and parentheses.
        var close = text.LastIndexOf(')');
        var fields = text[(close + 2)..].Split(' ');
        return new ProcStat(
            pid,
            fields[0][0],
            int.Parse(fields[1], CultureInfo.InvariantCulture),
            int.Parse(fields[2], CultureInfo.InvariantCulture),
            int.Parse(fields[3], CultureInfo.InvariantCulture),
            int.Parse(fields[5], CultureInfo.InvariantCulture));
    }

    /// <summary>Alive means it exists and is not a zombie: a zombie has finished dying.</summary>
    public static bool IsAlive(int pid) => Stat(pid) is { IsZombie: false };

    /// <summary>Every process whose parent is <paramref name="pid"/>, zombies included.</summary>
    public static List<ProcStat> Children(int pid) => AllProcesses().Where(p => p.ParentPid == pid).ToList();

    /// <summary>Every descendant of <paramref name="pid"/>, any depth, zombies included.</summary>
    public static List<ProcStat> Descendants(int pid)
    {
        var all = AllProcesses();
        var result = new List<ProcStat>();
        var pending = new Stack<int>([pid]);
        while (pending.Count > 0)
        {
            var parent = pending.Pop();
            foreach (var child in all.Where(p => p.ParentPid == parent))
            {
                result.Add(child);
                pending.Push(child.Pid);
            }
        }
        return result;
    }

    /// <summary>The process's command line with spaces between the arguments, or "" when it is gone.</summary>
    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static List<ProcStat> AllProcesses()
    {
        var result = new List<ProcStat>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && Stat(pid) is { } stat)
            {
                result.Add(stat);
            }
        }
        return result;
    }
}
