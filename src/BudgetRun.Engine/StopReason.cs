namespace BudgetRun.Engine;

/// <summary>Why budget-run was asked to stop the run from outside the attempt loop.</summary>
public enum StopReason
{
    /// <summary>SIGINT to budget-run.</summary>
    Interrupt,
    /// <summary>SIGTERM to budget-run.</summary>
    Terminate,
    /// <summary>The kill switch (control plane or ledger).</summary>
    KillSwitch,
    /// <summary>Reported spend reached the budget.</summary>
    BudgetExhausted,
    /// <summary>The run's deadline passed.</summary>
    Deadline,
    /// <summary>
    /// Another signal that would have ended budget-run (SIGALRM, SIGXCPU, SIGPWR...; see
    /// <see cref="Signals.Stopping"/>): the exit code is 128 + that signal, <see cref="RunControl.StopSignal"/>.
    /// </summary>
    Signal,
}

internal static class StopReasonExtensions
{
    /// <summary>The exit code of a run stopped for <paramref name="reason"/>; <paramref name="signal"/> is the one of <see cref="StopReason.Signal"/>.</summary>
    public static int ExitCode(this StopReason reason, int signal = 0) => reason switch
    {
        StopReason.Signal => ExitCodes.SignalBase + signal,
        StopReason.Interrupt => ExitCodes.Interrupted,
        StopReason.Terminate => ExitCodes.Terminated,
        StopReason.KillSwitch => ExitCodes.KillSwitch,
        StopReason.BudgetExhausted => ExitCodes.BudgetExhausted,
        StopReason.Deadline => ExitCodes.TimedOut,
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };

    public static RunOutcome Outcome(this StopReason reason) => reason switch
    {
        StopReason.Interrupt or StopReason.Terminate or StopReason.Signal => RunOutcome.Interrupted,
        StopReason.KillSwitch => RunOutcome.Killed,
        StopReason.BudgetExhausted => RunOutcome.BudgetExhausted,
        StopReason.Deadline => RunOutcome.TimedOut,
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };

    /// <summary>The signal the child's tree gets first when the run is stopped for this reason.</summary>
    public static int ChildSignal(this StopReason reason) =>
        reason == StopReason.Interrupt ? Signals.SIGINT : Signals.SIGTERM;
}
