using BudgetRun.Engine.Processes;

namespace BudgetRun.Engine.Tests.Processes;

public sealed class ChildExitTests
{
    [Theory]
    [InlineData(0x0000, 0)]
    [InlineData(0x0100, 1)]
    [InlineData(0x0300, 3)]
    [InlineData(0x4b00, 75)]
    [InlineData(0xff00, 255)]
    public void FromWaitStatus_OfANormalExit_GivesTheExitCode(int status, int code)
    {
        var exit = ChildExit.FromWaitStatus(status);

        Assert.Equal(code, exit.ExitCode);
        Assert.Null(exit.Signal);
        Assert.Equal(code, exit.Code);
    }

    [Theory]
    [InlineData(0x0009, 9, 137)]
    [InlineData(0x0002, 2, 130)]
    [InlineData(0x000f, 15, 143)]
    [InlineData(0x000d, 13, 141)]
    [InlineData(0x008b, 11, 139)] // SIGSEGV with a core dump: the 0x80 bit is not part of the signal
    [InlineData(0x0086, 6, 134)]
    public void FromWaitStatus_OfADeathBySignal_GivesTheSignalAnd128PlusIt(int status, int signal, int code)
    {
        var exit = ChildExit.FromWaitStatus(status);

        Assert.Null(exit.ExitCode);
        Assert.Equal(signal, exit.Signal);
        Assert.Equal(code, exit.Code);
    }

    [Theory]
    [InlineData(0x147f, 20)] // SIGTSTP: Ctrl-Z
    [InlineData(0x137f, 19)] // SIGSTOP
    [InlineData(0x157f, 21)] // SIGTTIN
    public void IsStop_OfAStopReport_GivesTheStopSignal(int status, int signal)
    {
        Assert.True(ChildExit.IsStop(status, out var stopSignal));
        Assert.Equal(signal, stopSignal);
    }

    [Theory]
    [InlineData(0x0000)]
    [InlineData(0x7f00)] // exit code 127 is not a stop
    [InlineData(0x0009)]
    [InlineData(0x008b)]
    public void IsStop_OfAnExitOrADeath_IsFalse(int status)
    {
        Assert.False(ChildExit.IsStop(status, out _));
    }

    [Fact]
    public void ToString_SaysExitCodeOrSignalName()
    {
        Assert.Equal("exit code 3", ChildExit.Exited(3).ToString());
        Assert.Equal("signal SIGKILL", ChildExit.Killed(9).ToString());
    }
}
