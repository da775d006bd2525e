using System.Runtime.InteropServices;
using BudgetRun.Engine;

namespace BudgetRun.Cli.Hosting;

/// <summary>
/// budget-run's signal handling: SIGTERM and SIGINT stop the run (no further attempt; the child
/// gets the signal, then SIGKILL after the grace period); SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are
/// passed on to the child's process group. A signal inherited as ignored stays ignored: the
/// runtime installs no handler for it. SIGCONT (after Ctrl-Z, from the shell's fg or bg) is
/// handled by the engine; here only the runtime's own reaction to it is switched off.
/// </summary>
internal sealed class SignalRelay : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];

    public SignalRelay(RunControl control)
    {
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Stop(control, StopReason.Terminate, Signals.SIGTERM);
        }));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            Stop(control, StopReason.Interrupt, Signals.SIGINT);
        }));
        // On SIGCONT the runtime re-applies the terminal settings it saw at start (tcsetattr), for
        // System.Console, which budget-run never uses. After fg that would overwrite the modes the
        // child set on the terminal; after bg, from the background, it can stop budget-run with
        // SIGTTOU. Cancelling skips it; the kernel continues the process regardless.
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGCONT, context => context.Cancel = true));
        foreach (var signal in new[] { Signals.SIGHUP, Signals.SIGQUIT, Signals.SIGUSR1, Signals.SIGUSR2 })
        {
            _registrations.Add(PosixSignalRegistration.Create((PosixSignal)signal, context =>
            {
                context.Cancel = true;
                control.Forward(signal);
            }));
        }
    }

    private static void Stop(RunControl control, StopReason reason, int signal)
    {
        if (!control.RequestStop(reason))
        {
            // Already stopping: pass the repeated signal on, as the terminal would.
            control.Forward(signal);
        }
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
    }
}
