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

        result.AssertExitCode(0).AssertNoStackTrace();
        Assert.Equal($"installed budget-run at {installed}\n", result.StdoutText);
        Assert.Equal(await File.ReadAllBytesAsync(Executables.BudgetRun), await File.ReadAllBytesAsync(installed));
        Assert.Equal(Mode0755, File.GetUnixFileMode(installed));
        Assert.Equal(["budget-run"], Directory.GetFileSystemEntries(directory).Select(Path.GetFileName)); // no temporary left
        copyVersion.AssertExitCode(0);
        Assert.Equal(version.StdoutText, copyVersion.StdoutText);
    }

    [AotFact]
    public async Task OverAnOldFile_ReplacesIt()
    {
        var target = Scratch.Path("bin-budget-run");
        await File.WriteAllTextAsync(target, "an older budget-run");

        var result = await RunAsync(["install", target]);

        result.AssertExitCode(0).AssertNoStackTrace();
        Assert.Equal(new FileInfo(Executables.BudgetRun).Length, new FileInfo(target).Length);
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
        // /proc refuses new files even to root.
        var result = await RunAsync(["install", "/proc"]);

        result.AssertExitCode(73).AssertNoStackTrace();
        Assert.StartsWith("budget-run: install: cannot write /proc/budget-run: ", Assert.Single(result.StderrLines), StringComparison.Ordinal);
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
