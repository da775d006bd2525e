using System.Formats.Tar;
using System.IO.Compression;

namespace BudgetRun.Deployment.Tests;

/// <summary>
/// eng/release.sh: the linux-x64 archive holds the binary, README and license in one folder, its
/// SHA256SUMS checks with sha256sum, the same commit makes the same bytes twice, and the binary
/// in it runs. It packs the binary under test (BUDGET_RUN_EXE), so no build happens here.
/// </summary>
public sealed class ReleaseArchiveTests : IDisposable
{
    private readonly Scratch _scratch = new();

    [Fact]
    public async Task TheArchive_IsReproducible_Checksummed_AndItsBinaryRuns()
    {
        var first = await ReleaseAsync("first");
        var second = await ReleaseAsync("second");
        var archive = Assert.Single(Directory.GetFiles(first, "*.tar.gz"));
        var name = Path.GetFileName(archive);

        Assert.Matches(@"^budget-run-[0-9]+\.[0-9]+\.[0-9]+-linux-x64\.tar\.gz$", name);
        Assert.Equal(await File.ReadAllBytesAsync(archive), await File.ReadAllBytesAsync(Path.Combine(second, name)));
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(first, "SHA256SUMS")), await File.ReadAllTextAsync(Path.Combine(second, "SHA256SUMS")));
        var check = await BudgetRunProcess.RunProgramAsync("/usr/bin/sha256sum", ["-c", "SHA256SUMS"], new RunSettings { WorkingDirectory = first });
        check.AssertExitCode(0);
        Assert.Equal($"{name}: OK\n", check.StdoutText);

        var folder = name[..^"-linux-x64.tar.gz".Length];
        var extracted = Directory.CreateDirectory(_scratch.Path("extracted")).FullName;
        await using (var gzip = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress))
        {
            var entries = new List<string>();
            await using var tar = new TarReader(gzip);
            while (await tar.GetNextEntryAsync() is { } entry)
            {
                entries.Add(entry.Name);
                Assert.Equal((0, 0), (entry.Uid, entry.Gid));
                if (entry.EntryType is TarEntryType.RegularFile)
                {
                    await entry.ExtractToFileAsync(Path.Combine(extracted, Path.GetFileName(entry.Name)), overwrite: false);
                }
            }
            Assert.Equal([$"{folder}/", $"{folder}/LICENSE", $"{folder}/README.md", $"{folder}/budget-run"], entries);
        }
        Assert.Equal(await File.ReadAllBytesAsync(Executables.BudgetRun), await File.ReadAllBytesAsync(Path.Combine(extracted, "budget-run")));
        var version = await BudgetRunProcess.StartProgram(Path.Combine(extracted, "budget-run"), ["--version"]).WaitAsync();
        version.AssertExitCode(0);
        Assert.StartsWith($"budget-run {folder["budget-run-".Length..]}", version.StdoutText, StringComparison.Ordinal);
    }

    public void Dispose() => _scratch.Dispose();

    private async Task<string> ReleaseAsync(string name)
    {
        var output = _scratch.Path(name);
        var result = await BudgetRunProcess.RunProgramAsync("/bin/bash", [Repository.PathOf("eng/release.sh"), output],
            new RunSettings { Environment = new Dictionary<string, string?> { ["BUDGET_RUN_EXE"] = Executables.BudgetRun }, Timeout = TimeSpan.FromMinutes(3) });
        result.AssertExitCode(0);
        return output;
    }
}
