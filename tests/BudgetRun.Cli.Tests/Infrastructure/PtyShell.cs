using System.Text;
using System.Text.Json;

namespace BudgetRun.Cli.Tests.Infrastructure;

/// <summary>
/// A job-control shell in miniature, for the Ctrl-Z tests: python3 (already the suite's pty tool)
/// becomes a session leader on a fresh pseudo-terminal, starts the command as a job in its own
/// process group with the terminal's foreground, and then does what bash does: it types what the
/// test asks for into the terminal, takes the terminal back when the job stops, and runs
/// <c>fg</c> (foreground to the job, SIGCONT) and <c>bg</c> (SIGCONT only). A shell has to be a
/// separate process: the test host cannot leave its session, and a job whose parent is outside
/// the session is an orphaned process group, which the kernel never stops with SIGTSTP.
/// It reports events as JSON lines: started, stopped, exited.
/// </summary>
internal sealed class PtyShell : IDisposable
{
    private const string Script = """
        import fcntl, json, os, select, signal, sys, termios, time
        command = sys.argv[1:]
        def emit(**event):
            print(json.dumps(event), flush=True)
        os.setsid()
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        pid = os.fork()
        if pid == 0:
            os.setpgid(0, 0)
            os.tcsetpgrp(slave, os.getpid())
            signal.signal(signal.SIGTTOU, signal.SIG_DFL)
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            os.close(master)
            os.close(slave)
            os.execv(command[0], command)
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass
        os.tcsetpgrp(slave, pid)
        emit(event="started", pid=pid, shell=os.getpgrp())
        output, limit = b"", time.monotonic() + 120
        while time.monotonic() < limit:
            ready, _, _ = select.select([master, sys.stdin], [], [], 0.005)
            if master in ready:
                output += os.read(master, 65536)
            if sys.stdin in ready:
                line = sys.stdin.readline()
                if not line:
                    break
                verb, *args = line.split()
                if verb == "type":
                    os.write(master, bytes.fromhex(args[0]))
                elif verb == "fg":
                    os.tcsetpgrp(slave, pid)
                    os.killpg(pid, signal.SIGCONT)
                elif verb == "bg":
                    os.killpg(pid, signal.SIGCONT)
            done, raw = os.waitpid(pid, os.WNOHANG | os.WUNTRACED)
            if done and os.WIFSTOPPED(raw):
                emit(event="stopped", signal=os.WSTOPSIG(raw), foreground=os.tcgetpgrp(master))
                os.tcsetpgrp(slave, os.getpgrp())
            elif done:
                emit(event="exited", status=os.waitstatus_to_exitcode(raw), foreground=os.tcgetpgrp(master),
                     output=output.decode("utf-8", "replace"))
                sys.exit(0)
        os.kill(pid, signal.SIGKILL)
        emit(event="timeout", output=output.decode("utf-8", "replace"))
        """;

    private static readonly TimeSpan _eventLimit = TimeSpan.FromSeconds(30);

    private readonly BudgetRunProcess _python;
    private int _consumed;

    private PtyShell(BudgetRunProcess python) => _python = python;

    /// <summary>The job's pid, which is also its process group.</summary>
    public int JobPid { get; private set; }

    /// <summary>The shell's own process group.</summary>
    public int ShellGroup { get; private set; }

    /// <summary>Starts <paramref name="command"/> as the terminal's foreground job.</summary>
    public static async Task<PtyShell> StartAsync(Scratch scratch, IEnumerable<string> command)
    {
        var script = scratch.Path("pty-shell.py");
        await File.WriteAllTextAsync(script, Script);
        var shell = new PtyShell(BudgetRunProcess.StartProgram("python3", [script, .. command],
            new RunSettings { KeepStdinOpen = true, Timeout = TimeSpan.FromSeconds(120) }));
        var started = await shell.NextAsync("started");
        shell.JobPid = started.GetProperty("pid").GetInt32();
        shell.ShellGroup = started.GetProperty("shell").GetInt32();
        return shell;
    }

    /// <summary>Types <paramref name="keys"/> at the terminal (e.g. "\u001a" for Ctrl-Z).</summary>
    public Task TypeAsync(string keys) => SendAsync("type " + Convert.ToHexString(Encoding.UTF8.GetBytes(keys)));

    public Task FgAsync() => SendAsync("fg");

    public Task BgAsync() => SendAsync("bg");

    /// <summary>Waits for the shell's next event; fails the test if it is of another kind or never comes.</summary>
    public async Task<JsonElement> NextAsync(string kind)
    {
        string? line = null;
        await Wait.UntilAsync(() => (line = Line(_consumed)) is not null, _eventLimit, $"the shell's '{kind}' event", _python);
        _consumed++;
        var element = JsonDocument.Parse(line!).RootElement.Clone();
        var actual = element.GetProperty("event").GetString();
        Assert.True(actual == kind, $"expected the shell's '{kind}' event, got {line}\n--- shell stderr ---\n{_python.StderrSoFar}");
        return element;
    }

    public void Dispose() => _python.Dispose();

    private async Task SendAsync(string line)
    {
        await _python.Stdin.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"));
        await _python.Stdin.FlushAsync();
    }

    private string? Line(int index)
    {
        var lines = _python.StdoutSoFar.Split('\n');
        // The last piece is an unfinished line (or empty): only whole lines count.
        return index < lines.Length - 1 ? lines[index] : null;
    }
}
