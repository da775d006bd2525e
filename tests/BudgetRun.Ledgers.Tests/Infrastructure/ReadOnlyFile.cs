using Xunit.Sdk;

namespace BudgetRun.Ledgers.Tests.Infrastructure;

/// <summary>
/// Makes a file read-only for this process: mode 0444, and the immutable attribute as well when the
/// tests run as root (root ignores the mode). Undone on dispose so the directory can be deleted.
/// </summary>
internal sealed class ReadOnlyFile : IDisposable
{
    private readonly string _path;
    private readonly UnixFileMode _mode;
    private readonly bool _immutable;

    public ReadOnlyFile(string path)
    {
        _path = path;
        _mode = File.GetUnixFileMode(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        _immutable = Environment.UserName == "root" && Shell.Run("chattr", "+i", path) == 0;
        try
        {
            using var probe = File.OpenWrite(path);
        }
        catch (UnauthorizedAccessException)
        {
            return; // read-only indeed
        }
        catch (IOException)
        {
            return;
        }
        Dispose();
        throw new XunitException($"cannot make {path} read-only here (running as root without chattr support?)");
    }

    public void Dispose()
    {
        if (_immutable)
        {
            Shell.Run("chattr", "-i", _path);
        }
        File.SetUnixFileMode(_path, _mode);
    }
}
