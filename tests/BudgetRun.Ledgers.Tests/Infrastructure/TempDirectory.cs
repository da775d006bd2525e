namespace BudgetRun.Ledgers.Tests.Infrastructure;

/// <summary>A test's own directory (ledger files, redis data); deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateDirectory(
            System.IO.Path.Combine(System.IO.Path.GetTempPath(), "budget-run-ledger-tests", Guid.NewGuid().ToString("N"))).FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Left under the temp folder.
        }
        catch (UnauthorizedAccessException)
        {
            // Left under the temp folder.
        }
    }
}
