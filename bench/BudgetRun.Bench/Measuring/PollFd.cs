using System.Runtime.InteropServices;

namespace BudgetRun.Bench.Measuring;

/// <summary>struct pollfd.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PollFd
{
    public int Fd;
    public short Events;
    public short Revents;
}
