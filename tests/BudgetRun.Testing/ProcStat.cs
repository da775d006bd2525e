namespace BudgetRun.Testing;

/// <summary>The fields of /proc/PID/stat the tests look at.</summary>
/// <remarks><see cref="TerminalForegroundGroup"/> is the foreground group of its controlling terminal (tpgid), -1 without one.</remarks>
internal sealed record ProcStat(int Pid, char State, int ParentPid, int ProcessGroup, int Session, int TerminalForegroundGroup)
{
    /// <summary>Stopped by a signal (T), as opposed to running, sleeping or traced.</summary>
    public bool IsStopped => State == 'T';

    public bool IsZombie => State is 'Z' or 'X';
}
