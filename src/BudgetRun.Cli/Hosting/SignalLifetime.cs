using System.Runtime.InteropServices;
using BudgetRun.Engine;
using BudgetRun.Engine.Processes;
using Microsoft.Extensions.Hosting;

namespace BudgetRun.Cli.Hosting;

/// <summary>
/// budget-run's signal handling. Every catchable signal whose default action would end budget-run
/// is handled, so that no such signal can leave the tree running and the report unwritten:
/// <see cref="Signals.Stopping"/> stop the run (no further attempt; the child gets SIGINT for
/// SIGINT and SIGTERM otherwise, then SIGKILL after the grace period; exit 128 + the signal), and
/// a second one during the stop SIGKILLs the whole tree at once; <see cref="Signals.Forwarded"/>
/// are passed on to the child's process group. A signal inherited as ignored stays ignored, and a
/// signal the runtime already handles for itself (SIGSEGV, SIGTRAP in the framework-dependent
/// build, its real-time signals) is left to it. SIGCONT (after Ctrl-Z, from the shell's fg or bg)
/// is handled by the engine; here only the runtime's own reaction to it is switched off.
/// It is the host's <see cref="IHostLifetime"/> (in place of ConsoleLifetime, which would race for
/// the same signals and touch System.Console): signals become a stop of the run's
/// <see cref="RunControl"/>, and the composition stops the host when the run ends. It is armed
/// when it is made, before the ledger is opened, so a plain run (which builds no host) has it too.
/// </summary>
internal sealed class SignalLifetime : IHostLifetime, IDisposable
{
    /// <summary>The signals budget-run has always taken by name, whatever the runtime did with them before.</summary>
    private static readonly int[] _classic = [Signals.SIGTERM, Signals.SIGINT, Signals.SIGHUP, Signals.SIGQUIT, Signals.SIGUSR1, Signals.SIGUSR2];

    private readonly List<PosixSignalRegistration> _registrations = [];

    public SignalLifetime(RunControl control)
    {
        foreach (var signal in Signals.Stopping)
        {
            Handle(signal, () =>
            {
                if (!control.RequestStop(signal))
                {
                    control.Escalate(); // already stopping: the operator insists
                }
            });
        }
        foreach (var signal in Signals.Forwarded)
        {
            Handle(signal, () => control.Forward(signal));
        }
        // On SIGCONT the runtime re-applies the terminal settings it saw at start (tcsetattr), for
        // System.Console, which budget-run never uses. After fg that would overwrite the modes the
        // child set on the terminal; after bg, from the background, it can stop budget-run with
        // SIGTTOU. Cancelling skips it; the kernel continues the process regardless.
        _registrations.Add(PosixSignalRegistration.Create((PosixSignal)Signals.SIGCONT, context => context.Cancel = true));
    }

    private void Handle(int signal, Action action)
    {
        // 0: SIG_DFL, 1: SIG_IGN, 2: someone's handler (the runtime's), -1: reserved by the C library.
        var disposition = NativeMethods.SignalDisposition(signal);
        if (disposition == 1 || disposition < 0 || (disposition == 2 && !_classic.Contains(signal)))
        {
            return;
        }
        _registrations.Add(PosixSignalRegistration.Create((PosixSignal)signal, context =>
        {
            context.Cancel = true;
            action();
        }));
    }

    /// <summary>Signals are handled from construction on: nothing to wait for.</summary>
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The run (or serve) decides when the host stops; the registrations live until disposed.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
    }
}
