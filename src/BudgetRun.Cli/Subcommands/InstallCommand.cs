using BudgetRun.Cli.CommandLine;
using BudgetRun.Cli.Files;
using BudgetRun.Cli.Logging;
using BudgetRun.Cli.Text;
using BudgetRun.Engine;

namespace BudgetRun.Cli.Subcommands;

/// <summary>
/// <c>budget-run install PATH</c>: copies this binary to PATH (or PATH/budget-run when PATH is a
/// directory), so that an init container of the default image, which has no shell and no
/// <c>cp</c>, can put budget-run on a volume for the application's container (examples/kubernetes).
/// The copy is written beside the target, flushed to disk, made executable and renamed over it:
/// the target is never seen half-written. Exit 0, 2 on a usage error, 73 when it cannot be written.
/// </summary>
internal static class InstallCommand
{
    private const string FileName = "budget-run";

    private const UnixFileMode Executable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    public static async Task<int> RunAsync(string destination)
    {
        if (destination.Length == 0)
        {
            throw new UsageException("install: the destination is an empty string");
        }
        if (IsFrameworkDependent() || Environment.ProcessPath is not { } source)
        {
            // A framework-dependent build is an apphost plus its assemblies: copying one file would not run.
            throw new UsageException("install: only the Native AOT binary can install itself (this is a framework-dependent build; see README, Container image)");
        }

        var target = Path.GetFullPath(Directory.Exists(destination) ? Path.Combine(destination, FileName) : destination);
        var directory = Path.GetDirectoryName(target)!;
        if (Path.GetFullPath(source) == target)
        {
            return await ReportAsync($"budget-run is already at {target}").ConfigureAwait(false);
        }
        if (!Directory.Exists(directory))
        {
            return await FailAsync($"install: cannot write {target}: the directory {directory} does not exist").ConfigureAwait(false);
        }
        if (UserFile.WhyNotReplaceable(target) is { } notReplaceable)
        {
            return await FailAsync($"install: cannot write {target}: {notReplaceable}; only a regular file (or a missing path) is replaced").ConfigureAwait(false);
        }

        var temporary = Path.Combine(directory, $".{FileName}.{Environment.ProcessId}.tmp");
        try
        {
            var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: false);
            await using (input.ConfigureAwait(false))
            {
                var output = new FileStream(temporary, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = Executable,
                    BufferSize = 1 << 16,
                });
                await using (output.ConfigureAwait(false))
                {
                    await input.CopyToAsync(output).ConfigureAwait(false);
                    output.Flush(flushToDisk: true);
                }
            }
            File.SetUnixFileMode(temporary, Executable); // whatever the umask
            if (UserFile.WhyNotReplaceable(target) is { } changed)
            {
                // Checked again just before the rename: the copy takes a while, and rename(2) replaces a device or FIFO.
                throw new IOException($"{changed}; only a regular file (or a missing path) is replaced");
            }
            File.Move(temporary, target, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            return await FailAsync($"install: cannot write {target}: {ex.Message}").ConfigureAwait(false);
        }
        return await ReportAsync($"installed budget-run at {target}").ConfigureAwait(false);
    }

    /// <summary>
    /// Whether this is the framework-dependent build: its assemblies lie beside it (the AOT feature
    /// switches are set for it too, so RuntimeFeature cannot tell).
    /// </summary>
    private static bool IsFrameworkDependent() =>
        File.Exists(Path.Combine(AppContext.BaseDirectory, typeof(InstallCommand).Assembly.GetName().Name + ".dll"));

    private static async Task<int> ReportAsync(string line)
    {
        using var stdout = StandardStream.Writer(1);
        await stdout.WriteLineAsync(HumanText.Escape(line)).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private static Task<int> FailAsync(string line)
    {
        StderrLine.Error(line);
        return Task.FromResult(ExitCodes.CannotCreate);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing more to do: the error that matters is reported.
        }
    }
}
