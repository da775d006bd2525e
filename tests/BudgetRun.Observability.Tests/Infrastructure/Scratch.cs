namespace BudgetRun.Observability.Tests.Infrastructure;

/// <summary>A directory of its own for a test's configuration files and server data; deleted on dispose.</summary>
internal sealed class Scratch : IDisposable
{
    public Scratch()
    {
        Directory = System.IO.Directory.CreateDirectory(
            System.IO.Path.Combine(System.IO.Path.GetTempPath(), "budget-run-observability", Guid.NewGuid().ToString("N"))).FullName;
    }

    public string Directory { get; }

    public string Path(string name) => System.IO.Path.Combine(Directory, name);

    public string Write(string name, string content)
    {
        var path = Path(name);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A server still flushing its data; the directory lives under the temp folder.
        }
    }
}
