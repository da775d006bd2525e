using System.Globalization;

namespace BudgetRun.Engine.Processes;

/// <summary>
/// Where a run records what a SIGKILL of budget-run would leave behind (see
/// <see cref="LeftoverRecorder"/>): <c>$BUDGET_RUN_STATE_DIR</c>, else
/// <c>$XDG_RUNTIME_DIR/budget-run</c>, else <c>/run/budget-run</c> for root and
/// <c>/tmp/budget-run-UID</c> for anyone else. The records say which processes to kill, so the
/// directory must be this user's own and writable by nobody else: one that is not is never used.
/// </summary>
internal static class StateDirectory
{
    public const string Variable = "BUDGET_RUN_STATE_DIR";

    private const uint TypeMask = 0xF000, Directory = 0x4000, Regular = 0x8000;

    /// <summary>The directory this process uses, from its environment.</summary>
    public static string Default()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } given)
        {
            return Path.GetFullPath(given);
        }
        if (Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime && Path.IsPathRooted(runtime))
        {
            return Path.Combine(runtime, "budget-run");
        }
        var uid = NativeMethods.GetEuid();
        return uid == 0 ? "/run/budget-run" : "/tmp/budget-run-" + uid.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Makes <paramref name="path"/> (mode 0700) when it is missing and <paramref name="create"/>
    /// says so; the reason it cannot be used, or null. A missing directory that is not to be made is
    /// reported as <see cref="Missing"/>.
    /// </summary>
    public static string? WhyNotUsable(string path, bool create)
    {
        if (NativeMethods.PathOwner(path, out _, out _) == NativeMethods.ENOENT)
        {
            if (!create)
            {
                return Missing;
            }
            try
            {
                System.IO.Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return $"cannot create {path}: {ex.Message}";
            }
        }
        var error = NativeMethods.PathOwner(path, out var owner, out var mode);
        if (error != 0)
        {
            return $"cannot read {path}: {NativeMethods.ErrorText(error)}";
        }
        if ((mode & TypeMask) != Directory)
        {
            return $"{path} is not a directory";
        }
        var uid = NativeMethods.GetEuid();
        if (owner != uid)
        {
            return $"{path} belongs to uid {owner}, not to uid {uid}";
        }
        if ((mode & 0x12) != 0) // group or others may write
        {
            return $"{path} is writable by others (mode {Convert.ToString(mode & 0x1FF, 8)}); it must be 0700";
        }
        return null;
    }

    /// <summary>What <see cref="WhyNotUsable"/> says of a missing directory it was not to make.</summary>
    public const string Missing = "missing";

    /// <summary>Whether <paramref name="file"/> is a regular file of this user's (a record to trust).</summary>
    public static bool IsOwnRegularFile(string file) =>
        NativeMethods.PathOwner(file, out var owner, out var mode) == 0 && (mode & TypeMask) == Regular && owner == NativeMethods.GetEuid();
}
