using System.Runtime.InteropServices;
using BudgetRun.Engine;

namespace BudgetRun.Cli.Hosting;

/// <summary>
/// The lean <c>budget-run</c> hands a command that needs a network feature (see
/// <see cref="NetworkFeatures"/>) to <c>budget-run-net</c> beside it: <c>execve</c> with the same
/// arguments and environment, before anything has started or been said, so the process (its pid,
/// its start time, its inherited file descriptors, signal mask and ignored signals) simply
/// continues as the binary that has the feature. A missing or unusable companion is one line and
/// exit 70, with nothing started.
/// </summary>
internal static partial class NetworkCompanion
{
    /// <summary>budget-run's arguments, as <c>Main</c> received them (set first thing).</summary>
    public static string[] Arguments { get; set; } = [];

    /// <summary>
    /// Becomes <c>budget-run-net</c> if this binary lacks network features; returns in a binary that
    /// has them. <paramref name="feature"/> names what asked for them, for the error.
    /// </summary>
    /// <exception cref="CompanionMissingException">The companion cannot be executed.</exception>
    public static void Require(string feature)
    {
        if (!NetworkFeatures.IsSupported)
        {
            Exec(feature);
        }
    }

    /// <summary>Becomes <c>budget-run-net</c>; only returns by throwing.</summary>
    /// <exception cref="CompanionMissingException">The companion cannot be executed.</exception>
    public static int Exec(string feature)
    {
        var path = Path.Combine(AppContext.BaseDirectory, NetworkFeatures.CompanionFileName);
        string?[] argv = [path, .. Arguments, null];
        _ = Execv(path, argv);
        var errno = Marshal.GetLastPInvokeError();
        var reason = errno == ENOENT ? "does not exist" : $"cannot be executed: {Marshal.GetPInvokeErrorMessage(errno)}";
        throw new CompanionMissingException(
            $"{feature} is in {NetworkFeatures.CompanionFileName}, and {path} {reason} (this budget-run leaves the network features to it: install both; see README, Two binaries)");
    }

    private const int ENOENT = 2;

    [LibraryImport("libc", EntryPoint = "execv", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Execv(string path, string?[] argv);
}

/// <summary><c>budget-run-net</c> is not beside the lean binary, or cannot be executed.</summary>
internal sealed class CompanionMissingException(string message) : Exception(message);
