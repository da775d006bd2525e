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

    [Fact]
    public void ToString_SaysExitCodeOrSignalName()
    {
        Assert.Equal("exit code 3", ChildExit.Exited(3).ToString());
        Assert.Equal("signal SIGKILL", ChildExit.Killed(9).ToString());
    }
}
