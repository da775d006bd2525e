using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// <c>budget-run install PATH</c>, the init container's copy for images without <c>cp</c>: the copy
/// is the binary byte for byte, executable, written atomically (it replaces an old one, and a
/// failure leaves nothing behind), and it runs.
/// </summary>
public sealed class InstallTests : CliTest
{
    private const UnixFileMode Mode0755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    [AotFact]
    public async Task IntoADirectory_CopiesTheBinaryAsBudgetRun_Executable_AndTheCopyRuns()
    {
        var directory = Directory.CreateDirectory(Scratch.Path("volume")).FullName;

        var result = await RunAsync(["install", directory]);
        var installed = Path.Combine(directory, "budget-run");
        var version = await BudgetRunProcess.RunAsync(["--version"]);
        var copyVersion = await BudgetRunProcess.StartProgram(installed, ["--version"]).WaitAsync();

        var companion = Path.Combine(directory, "budget-run-net");
        result.AssertExitCode(0).AssertNoStackTrace();
        Assert.Equal($"installed budget-run-net at {companion}\ninstalled budget-run at {installed}\n", result.StdoutText);
        Assert.Equal(await File.ReadAllBytesAsync(Executables.BudgetRun), await File.ReadAllBytesAsync(installed));
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(Path.GetDirectoryName(Executables.BudgetRun)!, "budget-run-net")), await File.ReadAllBytesAsync(companion));
        Assert.Equal(Mode0755, File.GetUnixFileMode(installed));
        Assert.Equal(Mode0755, File.GetUnixFileMode(companion));
        Assert.Equal(["budget-run", "budget-run-net"], Directory.GetFileSystemEntries(directory).Select(Path.GetFileName).Order()); // no temporary left
        copyVersion.AssertExitCode(0);
        Assert.Equal(version.StdoutText, copyVersion.StdoutText);
        // The copy finds its own companion: a network feature runs from the volume.
        var listening = await BudgetRunProcess.RunProgramAsync(installed, ["--listen", "127.0.0.1:0", "--max-attempts", "1", "--", "sh", "-c", "readlink /proc/$PPID/exe"]);
        listening.AssertExitCode(0);
        Assert.Equal($"{companion}\n", listening.StdoutText);
    }

    [AotFact]
    public async Task ALeanBinaryAlone_InstallsItself_AndWarnsThatItsCopyLacksTheNetworkFeatures()
    {
        var alone = Directory.CreateDirectory(Scratch.Path("alone")).FullName;
        File.Copy(Executables.BudgetRun, Path.Combine(alone, "budget-run"));
        var directory = Directory.CreateDirectory(Scratch.Path("volume")).FullName;

        var result = await BudgetRunProcess.RunProgramAsync(Path.Combine(alone, "budget-run"), ["install", directory]);

        result.AssertExitCode(0).AssertNoStackTrace();
        Assert.Equal($"installed budget-run at {Path.Combine(directory, "budget-run")}\n", result.StdoutText);
        Assert.Contains($"install: {Path.Combine(alone, "budget-run-net")} does not exist: the copy runs without the network features", result.AssertOneStderrLine(), StringComparison.Ordinal);
        Assert.Equal(["budget-run"], Directory.GetFileSystemEntries(directory).Select(Path.GetFileName));
    }

    [AotFact]
    public async Task OverAnOldFile_ReplacesIt()
    {
        var target = Scratch.Path("bin-budget-run");
        await File.WriteAllTextAsync(target, "an older budget-run");

        var result = await RunAsync(["install", target]);

        result.AssertExitCode(0).AssertNoStackTrace();
        Assert.Equal(new FileInfo(Executables.BudgetRun).Length, new FileInfo(target).Length);
        Assert.True(File.Exists(Scratch.Path("budget-run-net")), "a target of another name still gets budget-run-net beside it, the name budget-run looks for");
        Assert.Equal(Mode0755, File.GetUnixFileMode(target));
    }

    [AotFact]
    public async Task IntoAMissingDirectory_Exits73InOneLine()
    {
        var target = Scratch.Path("missing/budget-run");

        var result = await RunAsync(["install", target]);

        result.AssertExitCode(73).AssertNoStackTrace();
        Assert.Equal($"budget-run: install: cannot write {target}: the directory {Scratch.Path("missing")} does not exist",
            Assert.Single(result.StderrLines));
        Assert.Empty(result.StdoutText);
    }

    [AotFact]
    public async Task WhereNothingCanBeWritten_Exits73InOneLine()
    {
        // /proc refuses new files even to root; budget-run-net is copied first, so a volume never has budget-run without it.
        var result = await RunAsync(["install", "/proc"]);

        result.AssertExitCode(73).AssertNoStackTrace();
        Assert.StartsWith("budget-run: install: cannot write /proc/budget-run-net: ", Assert.Single(result.StderrLines), StringComparison.Ordinal);
    }

    [FrameworkDependentFact]
    public async Task FrameworkDependentBuild_RefusesWithAUsageError_AndWritesNothing()
    {
        var directory = Directory.CreateDirectory(Scratch.Path("volume")).FullName;

        var result = await RunAsync(["install", directory]);

        result.AssertExitCode(2).AssertNoStackTrace();
        Assert.StartsWith("budget-run: install: only the Native AOT binary can install itself", Assert.Single(result.StderrLines), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(directory));
    }

    [Fact]
    public async Task WithoutADestination_IsAUsageError()
    {
        var result = await RunAsync(["install"]);

        result.AssertExitCode(2).AssertNoStackTrace();
        Assert.Single(result.StderrLines);
    }
}
