using System.Diagnostics;
using System.Net.Sockets;
using BudgetRun.Cli.Tests.ControlPlane;
using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests.Files;

/// <summary>
/// Every file budget-run reads at a user-given path (the control token, the SQLite ledger) is a
/// regular file, its type checked before it is opened, read with a bound; and --report replaces only
/// a regular file or a missing path. Anything else is one usage-error line, exit 2, nothing started.
/// </summary>
public sealed class UserFileTests : CliTest
{
    private Socket? _socket;

    public static TheoryData<string> NotRegular => new() { "directory", "fifo", "char device", "socket", "/dev/zero", "/dev/null" };

    [Theory]
    [MemberData(nameof(NotRegular))]
    public async Task ControlTokenFile_ThatIsNotARegularFile_IsUsageErrorAtOnce(string kind)
    {
        var path = Make(kind);
        var watch = Stopwatch.StartNew();

        var result = await RunWithEnvironmentAsync(ControlPlaneTest.Clean(null), ["--listen", "127.0.0.1:0", "--control-token-file", path,
            "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        AssertUsageError(result, "--control-token-file", path, "not a regular file");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task ControlTokenFile_ThatIsADirectory_SaysSo_NotThatItDoesNotExist()
    {
        var path = Make("directory");

        var result = await RunWithEnvironmentAsync(ControlPlaneTest.Clean(null), ["--listen", "127.0.0.1:0", "--control-token-file", path,
            "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        AssertUsageError(result, "--control-token-file", path, "is a directory");
        Assert.DoesNotContain("does not exist", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ControlTokenFile_ThatIsASymlinkToARegularFile_IsRead()
    {
        var token = ControlPlaneTest.NewToken();
        var target = Scratch.Path("real-token");
        await File.WriteAllTextAsync(target, token);
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var link = Scratch.Path("token-link");
        File.CreateSymbolicLink(link, target);

        var result = await RunWithEnvironmentAsync(ControlPlaneTest.Clean(null), ["--listen", "127.0.0.1:0", "--control-token-file", link,
            "--max-attempts", "1", "--", .. Child("exit", "0")]);

        result.AssertExitCode(0).AssertNoStackTrace();
    }

    [Fact]
    public async Task ControlTokenFile_ThatIsASymlinkToAFifo_IsUsageErrorAtOnce()
    {
        var link = Scratch.Path("fifo-link");
        File.CreateSymbolicLink(link, Make("fifo"));

        var result = await RunWithEnvironmentAsync(ControlPlaneTest.Clean(null), ["--listen", "127.0.0.1:0", "--control-token-file", link,
            "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        AssertUsageError(result, "--control-token-file", link, "FIFO");
    }

    [Fact]
    public async Task ControlTokenFile_TheReaderMayNotRead_IsUsageError()
    {
        var directory = Directory.CreateDirectory(Scratch.Path("open-dir")).FullName;
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_111_111);
        var path = Path.Combine(directory, "token");
        await File.WriteAllTextAsync(path, ControlPlaneTest.NewToken());
        File.SetUnixFileMode(path, UnixFileMode.None);

        // Root reads any file: run budget-run as nobody.
        var result = await BudgetRunProcess.StartProgram("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", Executables.BudgetRun,
            "--listen", "127.0.0.1:0", "--control-token-file", path, "--", .. Child("exit", "0")]).WaitAsync();

        result.AssertExitCode(2).AssertNoStackTrace();
        var line = result.AssertOneStderrLine();
        Assert.Contains("--control-token-file: cannot read", line, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(NotRegular))]
    public async Task SqliteLedger_ThatIsNotARegularFile_IsUsageErrorAtOnce(string kind)
    {
        var path = Make(kind);

        var result = await RunAsync(["--budget-key", "k", "--ledger", "sqlite:" + path,
            "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        AssertUsageError(result, "--ledger", path, "not a regular file");
    }

    [Theory]
    [InlineData("fifo")]
    [InlineData("char device")]
    [InlineData("socket")]
    [InlineData("/dev/null")]
    public async Task Report_AtAPathThatIsNotARegularFile_IsUsageError_NothingStarted_AndItStays(string kind)
    {
        var path = Make(kind);

        var result = await RunAsync(["--report", path, "--", .. Child("--count", Scratch.Path("started"), "exit", "0")]);

        AssertUsageError(result, "--report", path, "not a regular file");
        Assert.NotEqual("-", await FileType(path)); // still what it was, not a regular file
    }

    [Fact]
    public async Task Report_ReplacedByADeviceDuringTheRun_IsNotWritten_AndTheDeviceStays()
    {
        var report = Scratch.Path("report.json");
        var device = Scratch.Path("swap-device");

        // The child swaps the report path for a device node while the run is on.
        var result = await RunAsync(["--report", report, "--", "sh", "-c", $"mknod '{device}' c 1 3 && mv '{device}' '{report}'"]);

        result.AssertExitCode(0).AssertNoStackTrace();
        Assert.Contains(result.StderrLines, line => line.Contains("could not write the report", StringComparison.Ordinal)
            && line.Contains("character device", StringComparison.Ordinal));
        Assert.Equal("c", await FileType(report));
    }

    [AotFact]
    public async Task Install_OverACharacterDevice_IsExit73_AndTheDeviceStays()
    {
        var target = Make("char device");

        var result = await RunAsync(["install", target]);

        result.AssertExitCode(73).AssertNoStackTrace();
        Assert.Contains("character device, not a regular file", result.AssertOneStderrLine(), StringComparison.Ordinal);
        Assert.Equal("c", await FileType(target));
    }

    [AotFact]
    public async Task Install_OverAFifo_IsExit73_AndTheFifoStays()
    {
        var target = Make("fifo");

        var result = await RunAsync(["install", target]);

        result.AssertExitCode(73).AssertNoStackTrace();
        Assert.Contains("FIFO", result.AssertOneStderrLine(), StringComparison.Ordinal);
        Assert.Equal("p", await FileType(target));
    }

    [AotFact]
    public async Task Install_IntoADirectoryWhereBudgetRunIsADirectory_IsExit73()
    {
        var directory = Directory.CreateDirectory(Scratch.Path("volume")).FullName;
        Directory.CreateDirectory(Path.Combine(directory, "budget-run"));

        var result = await RunAsync(["install", directory]);

        result.AssertExitCode(73).AssertNoStackTrace();
        Assert.Contains("is a directory", result.AssertOneStderrLine(), StringComparison.Ordinal);
    }

    /// <summary>stat's %A first letter: "c" for a character device, "p" for a FIFO, "-" for a regular file.</summary>
    private static async Task<string> FileType(string path)
    {
        var result = await BudgetRunProcess.StartProgram("stat", ["-c", "%A", path]).WaitAsync();
        result.AssertExitCode(0);
        return result.StdoutText.Trim()[..1];
    }

    private string Make(string kind)
    {
        if (kind.StartsWith('/'))
        {
            return kind;
        }
        var path = Scratch.Path(kind.Replace(' ', '-'));
        switch (kind)
        {
            case "directory":
                Directory.CreateDirectory(path);
                break;
            case "fifo":
                Run("mkfifo", path);
                break;
            case "char device":
                Run("mknod", path, "c", "1", "5"); // a second /dev/zero
                break;
            case "socket":
                // Kept open for the test: .NET removes the socket file when it closes the socket.
                _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                _socket.Bind(new UnixDomainSocketEndPoint(path));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
        return path;
    }

    private static void Run(string program, params string[] args)
    {
        using var process = Process.Start(program, args);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }

    private void AssertUsageError(ProcessResult result, string named, string path, string says)
    {
        result.AssertExitCode(2).AssertNoStackTrace();
        var line = result.AssertOneStderrLine();
        Assert.Contains(named, line, StringComparison.Ordinal);
        Assert.Contains(path, line, StringComparison.Ordinal);
        Assert.Contains(says, line, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
        Assert.False(File.Exists(Scratch.Path("started")), $"the command was started despite the usage error\n{result}");
    }
}
