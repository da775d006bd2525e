using BudgetRun.Engine.Processes;

namespace BudgetRun.Engine.Tests.Processes;

public sealed class CommandResolverTests : IDisposable
{
    private const UnixFileMode Executable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode NotExecutable = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("budget-run-resolver-");

    [Fact]
    public void Resolve_WhenNoDirectoryHasTheCommand_ThrowsNotFound127()
    {
        var path = Dir("a") + ":" + Dir("b");

        var error = Assert.Throws<ChildStartException>(() => CommandResolver.Resolve("no-such-command", path));

        Assert.Equal(StartFailure.NotFound, error.Failure);
        Assert.Equal(ExitCodes.NotFound, error.ExitCode);
    }

    [Fact]
    public void Resolve_WhenTheNameIsADirectoryOnPath_ThrowsNotExecutable126()
    {
        var bin = Dir("bin");
        Directory.CreateDirectory(Path.Combine(bin, "tool"));

        var error = Assert.Throws<ChildStartException>(() => CommandResolver.Resolve("tool", bin));

        Assert.Equal(StartFailure.NotExecutable, error.Failure);
        Assert.Equal(ExitCodes.NotExecutable, error.ExitCode);
    }

    [Fact]
    public void Resolve_WhenThePathIsADirectory_ThrowsNotExecutable()
    {
        var error = Assert.Throws<ChildStartException>(() => CommandResolver.Resolve(Dir("bin"), null));

        Assert.Equal(StartFailure.NotExecutable, error.Failure);
    }

    [Fact]
    public void Resolve_WhenTheOnlyMatchOnPathIsNotExecutable_ThrowsNotExecutable126()
    {
        var bin = Dir("bin");
        File(bin, "tool", NotExecutable);

        var error = Assert.Throws<ChildStartException>(() => CommandResolver.Resolve("tool", Dir("empty") + ":" + bin));

        Assert.Equal(StartFailure.NotExecutable, error.Failure);
        Assert.Equal(ExitCodes.NotExecutable, error.ExitCode);
    }

    [Fact]
    public void Resolve_WithSeveralMatches_ReturnsTheFirstExecutableOnPath()
    {
        var (first, second, third) = (Dir("1"), Dir("2"), Dir("3"));
        File(first, "tool", NotExecutable);
        var expected = File(second, "tool", Executable);
        File(third, "tool", Executable);

        Assert.Equal(expected, CommandResolver.Resolve("tool", string.Join(':', first, second, third)));
    }

    [Fact]
    public void Resolve_WithASlash_UsesThePathAsGiven()
    {
        var tool = File(Dir("bin"), "tool", Executable);

        Assert.Equal(tool, CommandResolver.Resolve(tool, Dir("elsewhere")));
    }

    [Fact]
    public void Resolve_WithASlashToAMissingFile_ThrowsNotFound()
    {
        var error = Assert.Throws<ChildStartException>(() => CommandResolver.Resolve(Path.Combine(Dir("bin"), "gone"), null));

        Assert.Equal(StartFailure.NotFound, error.Failure);
    }

    [Fact]
    public void Resolve_AnEmptyCommand_ThrowsNotFound() =>
        Assert.Equal(StartFailure.NotFound, Assert.Throws<ChildStartException>(() => CommandResolver.Resolve("", null)).Failure);

    public void Dispose() => _root.Delete(recursive: true);

    private string Dir(string name) => Directory.CreateDirectory(Path.Combine(_root.FullName, name)).FullName;

    private static string File(string directory, string name, UnixFileMode mode)
    {
        var path = Path.Combine(directory, name);
        System.IO.File.WriteAllText(path, "#!/bin/sh\nexit 0\n");
        System.IO.File.SetUnixFileMode(path, mode);
        return path;
    }
}
