namespace BudgetRun.Testing;

/// <summary>The fields of /proc/PID/stat the tests look at.</summary>
internal sealed record ProcStat(int Pid, char State, int ParentPid, int ProcessGroup, int Session)
{
    public bool IsZombie => State is 'Z' or 'X';
}
