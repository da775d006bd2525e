using System.Globalization;

namespace BudgetRun.Testing;

/// <summary>
/// A test's own directory for pid, counter, signal, report and configuration files and server
/// data. Disposing it kills every test-child whose pid file it holds and that is still alive, so
/// a failed test leaves nothing running, then deletes the directory.
/// </summary>
internal sealed class Scratch : IDisposable
{
    public Scratch()
    {
        Directory = System.IO.Directory.CreateDirectory(
            System.IO.Path.Combine(System.IO.Path.GetTempPath(), "budget-run-tests", Guid.NewGuid().ToString("N"))).FullName;
    }

    public string Directory { get; }

    public string Path(string name) => System.IO.Path.Combine(Directory, name);

    /// <summary>Writes <paramref name="content"/> to the file <paramref name="name"/>; returns its path.</summary>
    public string Write(string name, string content)
    {
        var path = Path(name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>The number in a counter file written by test-child's --count or fail-until; 0 when absent.</summary>
    public int Count(string name) =>
        File.Exists(Path(name)) ? int.Parse(File.ReadAllText(Path(name)).Trim(), CultureInfo.InvariantCulture) : 0;

    public void Dispose()
    {
        foreach (var pidFile in System.IO.Directory.EnumerateFiles(Directory, "*.pid", SearchOption.AllDirectories))
        {
            if (int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out var pid)
                && Posix.IsAlive(pid)
                && Posix.CommandLine(pid).Contains("test-child", StringComparison.Ordinal))
            {
                Posix.Kill(pid, Posix.SIGKILL);
            }
        }
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A straggler (a test-child, a server flushing its data) may still be writing, or a
            // test left a file it made unwritable; the directory lives under the temp folder.
        }
    }
}
