using Xunit.Sdk;

namespace BudgetRun.Resilience.Tests.Infrastructure;

/// <summary>
/// <c>chattr +i</c> on a file or directory for the test's duration: nobody, root included, may
/// write, rename or delete it (root ignores file modes, so a mode of 0444 proves nothing here).
/// </summary>
internal sealed class Immutable : IDisposable
{
    private readonly string _path;

    public Immutable(string path)
    {
        _path = path;
        if (Shell.Run("chattr", "+i", path) != 0)
        {
            throw new XunitException($"chattr +i {path} failed (not root, or a file system without the attribute)");
        }
    }

    public void Dispose() => Shell.Run("chattr", "-i", _path);
}
