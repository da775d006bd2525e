using System.Globalization;

namespace BudgetRun.Engine;

/// <summary>Linux signal numbers (the same on x86-64 and arm64) that budget-run handles or sends.</summary>
public static class Signals
{
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGQUIT = 3;
    public const int SIGTRAP = 5;
    public const int SIGKILL = 9;
    public const int SIGUSR1 = 10;
    public const int SIGSEGV = 11;
    public const int SIGUSR2 = 12;
    public const int SIGPIPE = 13;
    public const int SIGALRM = 14;
    public const int SIGTERM = 15;
    public const int SIGSTKFLT = 16;
    public const int SIGCONT = 18;

    /// <summary>The job-control stops: Ctrl-Z, and a background read or write of the terminal.</summary>
    public const int SIGTSTP = 20;
    public const int SIGTTIN = 21;
    public const int SIGTTOU = 22;

    public const int SIGXCPU = 24;
    public const int SIGXFSZ = 25;
    public const int SIGVTALRM = 26;
    public const int SIGPROF = 27;
    public const int SIGIO = 29;
    public const int SIGPWR = 30;
    public const int SIGSYS = 31;

    /// <summary>The kernel's real-time signals; the C library and the runtime keep the first few for themselves.</summary>
    public const int SIGRTFIRST = 32;
    public const int SIGRTLAST = 64;

    /// <summary>
    /// Signals that stop the run when budget-run gets them: no further attempt, the tree is stopped,
    /// the report is written and budget-run exits 128 + the signal. SIGTERM and SIGINT by name; the
    /// timer signals because an alarm or interval timer set before exec (a wrapper's time limit)
    /// fires in budget-run; the resource limits (CPU, file size) because they are budget-run's own;
    /// SIGPWR because init sends it when the machine goes down; and the rest of the signals whose
    /// default action would end budget-run, because nothing but a stop can honour that intent.
    /// </summary>
    public static readonly int[] Stopping =
        [SIGTERM, SIGINT, SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPWR, SIGIO, SIGSTKFLT, SIGSYS, SIGTRAP];

    /// <summary>
    /// Signals passed on to the child's process group as they arrive: the conventional messages
    /// (reload, dump, user-defined) and the real-time signals, which are application messages by
    /// definition. Those the runtime or the C library use for themselves are left to them.
    /// </summary>
    public static readonly int[] Forwarded =
        [SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, .. Enumerable.Range(SIGRTFIRST, SIGRTLAST - SIGRTFIRST + 1)];

    public static string Name(int signal) => signal switch
    {
        SIGHUP => "SIGHUP",
        SIGINT => "SIGINT",
        SIGQUIT => "SIGQUIT",
        4 => "SIGILL",
        SIGTRAP => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        SIGKILL => "SIGKILL",
        SIGUSR1 => "SIGUSR1",
        SIGSEGV => "SIGSEGV",
        SIGUSR2 => "SIGUSR2",
        SIGPIPE => "SIGPIPE",
        SIGALRM => "SIGALRM",
        SIGTERM => "SIGTERM",
        SIGSTKFLT => "SIGSTKFLT",
        SIGCONT => "SIGCONT",
        SIGTSTP => "SIGTSTP",
        SIGTTIN => "SIGTTIN",
        SIGTTOU => "SIGTTOU",
        SIGXCPU => "SIGXCPU",
        SIGXFSZ => "SIGXFSZ",
        SIGVTALRM => "SIGVTALRM",
        SIGPROF => "SIGPROF",
        SIGIO => "SIGIO",
        SIGPWR => "SIGPWR",
        SIGSYS => "SIGSYS",
        _ => "signal " + signal.ToString(CultureInfo.InvariantCulture),
    };
}
