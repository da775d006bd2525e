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
/// The lean binary's companion, <c>budget-run-net</c> (see <see cref="NetworkFeatures"/>), is copied
/// first, beside the target, so the copy is never without it. Each copy is written beside its
/// target, flushed to disk, made executable and renamed over it: a target is never seen
/// half-written. Exit 0, 2 on a usage error, 73 when a copy cannot be written.
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
            return await ReportAsync(HumanText.Escape($"budget-run is already at {target}")).ConfigureAwait(false);
        }
        if (!Directory.Exists(directory))
        {
            return await FailAsync($"install: cannot write {target}: the directory {directory} does not exist").ConfigureAwait(false);
        }
        if (UserFile.WhyNotReplaceable(target) is { } notReplaceable)
        {
            return await FailAsync($"install: cannot write {target}: {notReplaceable}; only a regular file (or a missing path) is replaced").ConfigureAwait(false);
        }

        var installed = new List<string>();
        if (!NetworkFeatures.IsSupported)
        {
            // The lean binary looks for its companion beside itself, under this name whatever its own.
            var companion = Path.Combine(AppContext.BaseDirectory, NetworkFeatures.CompanionFileName);
            var companionTarget = Path.Combine(directory, NetworkFeatures.CompanionFileName);
            if (!File.Exists(companion))
            {
                StderrLine.Warning($"install: {companion} does not exist: the copy runs without the network features (Redis and PostgreSQL ledgers, --listen, --pushgateway, --health-url, serve)");
            }
            else if (Path.GetFullPath(companion) != companionTarget)
            {
                if (await CopyAsync(companion, companionTarget).ConfigureAwait(false) is { } failed)
                {
                    return await FailAsync(failed).ConfigureAwait(false);
                }
                installed.Add($"installed {NetworkFeatures.CompanionFileName} at {companionTarget}");
            }
        }
        if (await CopyAsync(source, target).ConfigureAwait(false) is { } error)
        {
            return await FailAsync(error).ConfigureAwait(false);
        }
        installed.Add($"installed budget-run at {target}");
        return await ReportAsync(string.Join('\n', installed.Select(HumanText.Escape))).ConfigureAwait(false);
    }

    /// <summary>Copies <paramref name="source"/> over <paramref name="target"/> atomically; the error line, or null.</summary>
    private static async Task<string?> CopyAsync(string source, string target)
    {
        if (UserFile.WhyNotReplaceable(target) is { } notReplaceable)
        {
            return $"install: cannot write {target}: {notReplaceable}; only a regular file (or a missing path) is replaced";
        }
        var temporary = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Environment.ProcessId}.tmp");
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
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            return $"install: cannot write {target}: {ex.Message}";
        }
    }

    /// <summary>
    /// Whether this is the framework-dependent build: its assemblies lie beside it (the AOT feature
    /// switches are set for it too, so RuntimeFeature cannot tell).
    /// </summary>
    private static bool IsFrameworkDependent() =>
        File.Exists(Path.Combine(AppContext.BaseDirectory, typeof(InstallCommand).Assembly.GetName().Name + ".dll"));

    private static async Task<int> ReportAsync(string lines)
    {
        using var stdout = StandardStream.Writer(1);
        await stdout.WriteLineAsync(lines).ConfigureAwait(false);
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
