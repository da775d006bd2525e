using System.Text.RegularExpressions;

namespace BudgetRun.Deployment.Tests.Infrastructure;

/// <summary>
/// The folder of NuGet packages that eng/pack.sh wrote: <c>BUDGET_RUN_NUPKG</c>, or the
/// repository's artifacts/nupkg. The version is the pointer package's.
/// </summary>
internal sealed partial class ToolFeed
{
    private ToolFeed(string directory, string version)
    {
        Directory = directory;
        Version = version;
    }

    public string Directory { get; }

    public string Version { get; }

    public static ToolFeed Locate()
    {
        var directory = Environment.GetEnvironmentVariable("BUDGET_RUN_NUPKG") is { Length: > 0 } given
            ? Path.GetFullPath(given)
            : Repository.PathOf("artifacts/nupkg");
        var pointer = System.IO.Directory.Exists(directory)
            ? System.IO.Directory.EnumerateFiles(directory, "budget-run.*.nupkg").Select(Path.GetFileName).Select(name => PointerName().Match(name!)).FirstOrDefault(match => match.Success)
            : null;
        return pointer is null
            ? throw new FileNotFoundException($"no budget-run tool packages in {directory}: run eng/pack.sh first (eng/test.sh does), or set BUDGET_RUN_NUPKG")
            : new ToolFeed(directory, pointer.Groups["version"].Value);
    }

    /// <summary>The path of package <paramref name="id"/> at this feed's version.</summary>
    public string Package(string id)
    {
        var path = Path.Combine(Directory, $"{id}.{Version}.nupkg");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: run eng/pack.sh", path);
    }

    /// <summary>budget-run.0.1.0.nupkg, not budget-run.linux-x64.0.1.0.nupkg.</summary>
    [GeneratedRegex(@"^budget-run\.(?<version>[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?)\.nupkg$")]
    private static partial Regex PointerName();
}
