// test-child: the program the CLI integration tests run under budget-run (after CliWrap's dummy
// program). Every behaviour a test needs is one verb, so the tests do not depend on the host's tools.
//
//   test-child [--count FILE] [--setsid] [--pid-file FILE] VERB [ARGS...]
//
// Options, applied in this order before the verb:
//   --count FILE       add 1 to the integer in FILE (created at 1): counts the attempts that started
//   --setsid           call setsid(2) first: leave the process group and session it was started in
//   --pid-file FILE    write this process's pid to FILE (atomically) once the verb is set up, i.e.
//                      after its signal handlers are registered, so a test may signal it right away
//
// Verbs:
//   exit N                       exit with code N
//   exit-codes FILE C1,C2,...    add 1 to the counter in FILE and exit with the code of that attempt
//                                (the last code repeats)
//   fail-until N FILE            add 1 to the counter in FILE; exit 1 while it is below N, else 0
//   sleep MS                     sleep, then exit 0
//   exit-when FILE N             wait until FILE exists (polling), then exit N
//   print-lines N                write "line {i}\n" for i = 1..N to stdout, buffered, then exit 0
//   print-stderr TEXT            write TEXT and a newline to stderr, then exit 0
//   echo-stdin                   copy stdin to stdout until end of file, then exit 0
//   print-env NAME               write the variable's value and a newline, or "<unset>\n"
//   print-envs CODE NAME...      write "NAME=value" (or "NAME=<unset>") per variable, one per line, then exit CODE
//   ignore-sigterm MS            ignore SIGTERM (only SIGKILL ends it), sleep, then exit 0
//   burn-cpu MS                  spin until this process has used MS of CPU time (user + system), then exit 0
//   record-signals FILE MS       append the name of every SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1,
//                                SIGUSR2, SIGRTMIN+6 (40) and SIGRTMAX-4 (60) it receives to FILE
//                                (one per line) and keep sleeping; exits 0 after MS
//   exit-on-signal FILE MS       like record-signals, but exit 0 right after recording the first signal
//   read-parent NAME             read /proc/PPID/NAME (environ, mem): print "opened\n" and what it read,
//                                or "denied: REASON\n" and exit 1 when it cannot be opened or read
//   kill-self SIGNAL             die of SIGNAL (name or number): default disposition, then kill(getpid())
//   spawn MODE PIDFILE THEN [VERB ARGS...]
//                                leave a grandchild behind: start `test-child --pid-file PIDFILE VERB ARGS`
//                                (default verb: ignore-sigterm 600000) in this process group (MODE
//                                group) or in a new session (MODE setsid), wait until it is set up,
//                                then THEN: exit:N (exit at once), sleep:MS (sleep, then exit 0),
//                                record:FILE (record-signals FILE for 600 s) or record-exit:FILE
//                                (exit-on-signal FILE for 600 s)
//
// Misuse exits 64 with a message on stderr.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace BudgetRun.TestChild;

internal static class Program
{
    private const int Misuse = 64;
    private static readonly Lock _recordGate = new();

    public static int Main(string[] args)
    {
        try
        {
            return Run(args);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or IndexOutOfRangeException)
        {
            Console.Error.WriteLine($"test-child: {ex.Message}");
            return Misuse;
        }
    }

    private static int Run(string[] args)
    {
        string? pidFile = null;
        var i = 0;
        for (; i < args.Length && args[i].StartsWith("--", StringComparison.Ordinal); i++)
        {
            switch (args[i])
            {
                case "--count":
                    AddOne(args[++i]);
                    break;
                case "--setsid":
                    if (Native.SetSid() < 0)
                    {
                        throw new ArgumentException($"setsid failed: errno {Marshal.GetLastPInvokeError()}");
                    }
                    break;
                case "--pid-file":
                    pidFile = args[++i];
                    break;
                default:
                    throw new ArgumentException($"unknown option: {args[i]}");
            }
        }
        if (i >= args.Length)
        {
            throw new ArgumentException("no verb; see the comment at the top of Program.cs");
        }

        var verb = args[i];
        var rest = args[(i + 1)..];
        void Ready()
        {
            if (pidFile is not null)
            {
                WriteAtomically(pidFile, Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            }
        }

        switch (verb)
        {
            case "exit":
                Ready();
                return Int(rest[0]);
            case "exit-codes":
            {
                Ready();
                var attempt = AddOne(rest[0]);
                var codes = rest[1].Split(',').Select(Int).ToArray();
                return codes[Math.Min(attempt, codes.Length) - 1];
            }
            case "fail-until":
                Ready();
                return AddOne(rest[1]) < Int(rest[0]) ? 1 : 0;
            case "sleep":
                Ready();
                Thread.Sleep(Int(rest[0]));
                return 0;
            case "exit-when":
                Ready();
                while (!File.Exists(rest[0]))
                {
                    Thread.Sleep(10);
                }
                return Int(rest[1]);
            case "print-lines":
                Ready();
                PrintLines(Int(rest[0]));
                return 0;
            case "print-stderr":
                Ready();
                Console.Error.WriteLine(rest[0]);
                return 0;
            case "echo-stdin":
            {
                Ready();
                using var stdin = Console.OpenStandardInput();
                using var stdout = Console.OpenStandardOutput();
                stdin.CopyTo(stdout);
                return 0;
            }
            case "print-envs":
                Ready();
                foreach (var name in rest[1..])
                {
                    Console.Out.Write(name + "=" + (Environment.GetEnvironmentVariable(name) ?? "<unset>") + "\n");
                }
                return Int(rest[0]);
            case "print-env":
                Ready();
                Console.Out.Write((Environment.GetEnvironmentVariable(rest[0]) ?? "<unset>") + "\n");
                return 0;
            case "ignore-sigterm":
            {
                using var ignore = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => context.Cancel = true);
                Ready();
                Thread.Sleep(Int(rest[0]));
                return 0;
            }
            case "burn-cpu":
            {
                Ready();
                var until = TimeSpan.FromMilliseconds(Int(rest[0]));
                using var self = Process.GetCurrentProcess();
                while (self.TotalProcessorTime < until)
                {
                    self.Refresh();
                }
                return 0;
            }
            case "record-signals":
                return RecordSignals(rest[0], Int(rest[1]), Ready, exitOnFirst: false);
            case "exit-on-signal":
                return RecordSignals(rest[0], Int(rest[1]), Ready, exitOnFirst: true);
            case "read-parent":
                Ready();
                return ReadParent(rest[0]);
            case "kill-self":
            {
                var signal = SignalNames.Parse(rest[0]);
                Ready();
                // The runtime catches SIGTERM, SIGINT, SIGQUIT and SIGSEGV for itself: let the signal kill.
                _ = Native.SetHandler(signal, Native.DefaultHandler);
                _ = Native.Kill(Native.GetPid(), signal);
                Thread.Sleep(5000);
                Console.Error.WriteLine($"test-child: still alive after {SignalNames.Name(signal)}");
                return 99;
            }
            case "spawn":
                return Spawn(rest[0], rest[1], rest[2], rest[3..], Ready);
            default:
                throw new ArgumentException($"unknown verb: {verb}");
        }
    }

    private static int RecordSignals(string file, int milliseconds, Action ready, bool exitOnFirst)
    {
        int[] signals =
        [
            SignalNames.SIGHUP, SignalNames.SIGINT, SignalNames.SIGQUIT,
            SignalNames.SIGTERM, SignalNames.SIGUSR1, SignalNames.SIGUSR2, 40, 60,
        ];
        using var first = new ManualResetEventSlim();
        var registrations = signals
            .Select(signal => PosixSignalRegistration.Create((PosixSignal)signal, context =>
            {
                context.Cancel = true;
                lock (_recordGate)
                {
                    File.AppendAllText(file, SignalNames.Name(signal) + "\n");
                }
                first.Set();
            }))
            .ToList();
        try
        {
            ready();
            if (exitOnFirst)
            {
                first.Wait(milliseconds);
            }
            else
            {
                Thread.Sleep(milliseconds);
            }
            return 0;
        }
        finally
        {
            registrations.ForEach(registration => registration.Dispose());
        }
    }

    private static int ReadParent(string name)
    {
        var path = $"/proc/{Native.GetPpid()}/{name}";
        using var stdout = Console.OpenStandardOutput();
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            stdout.Write("opened\n"u8);
            var buffer = new byte[1 << 16];
            var read = stream.Read(buffer);
            stdout.Write(buffer, 0, read);
            return 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            stdout.Write(Encoding.UTF8.GetBytes($"denied: {ex.GetType().Name}: {ex.Message}\n"));
            return 1;
        }
    }

    private static int Spawn(string mode, string pidFile, string then, string[] verb, Action ready)
    {
        if (mode is not ("group" or "setsid"))
        {
            throw new ArgumentException($"spawn: MODE is group or setsid, not {mode}");
        }
        var start = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        if (mode == "setsid")
        {
            start.ArgumentList.Add("--setsid");
        }
        start.ArgumentList.Add("--pid-file");
        start.ArgumentList.Add(pidFile);
        foreach (var arg in verb.Length > 0 ? verb : ["ignore-sigterm", "600000"])
        {
            start.ArgumentList.Add(arg);
        }
        using (Process.Start(start))
        {
        }
        var stopwatch = Stopwatch.StartNew();
        while (!File.Exists(pidFile))
        {
            if (stopwatch.Elapsed > TimeSpan.FromSeconds(20))
            {
                throw new ArgumentException("spawn: the grandchild did not write its pid file");
            }
            Thread.Sleep(5);
        }
        var (action, value) = then.Split(':', 2) is [var a, var v] ? (a, v) : throw new ArgumentException($"spawn: THEN is exit:N, sleep:MS, record:FILE or record-exit:FILE, not {then}");
        switch (action)
        {
            case "exit":
                ready();
                return Int(value);
            case "sleep":
                ready();
                Thread.Sleep(Int(value));
                return 0;
            case "record":
                return RecordSignals(value, 600_000, ready, exitOnFirst: false);
            case "record-exit":
                return RecordSignals(value, 600_000, ready, exitOnFirst: true);
            default:
                throw new ArgumentException($"spawn: THEN is exit:N, sleep:MS, record:FILE or record-exit:FILE, not {then}");
        }
    }

    private static void PrintLines(int count)
    {
        using var stdout = new BufferedStream(Console.OpenStandardOutput(), 1 << 16);
        Span<byte> line = stackalloc byte[32];
        "line "u8.CopyTo(line);
        for (var n = 1; n <= count; n++)
        {
            n.TryFormat(line[5..], out var written, provider: CultureInfo.InvariantCulture);
            line[5 + written] = (byte)'\n';
            stdout.Write(line[..(6 + written)]);
        }
    }

    /// <summary>Adds one to the counter in <paramref name="file"/> and returns the new count.</summary>
    private static int AddOne(string file)
    {
        var count = File.Exists(file) ? Int(File.ReadAllText(file).Trim()) + 1 : 1;
        WriteAtomically(file, count.ToString(CultureInfo.InvariantCulture));
        return count;
    }

    private static void WriteAtomically(string file, string text)
    {
        var temp = $"{file}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, text + "\n", Encoding.ASCII);
        File.Move(temp, file, overwrite: true);
    }

    private static int Int(string text) => int.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
}
