using System.Formats.Tar;
using System.IO.Compression;

namespace BudgetRun.Deployment.Tests;

/// <summary>
/// eng/release.sh: the linux-x64 and linux-arm64 archives each hold the binary, README and license
/// in one folder, SHA256SUMS checks with sha256sum, the same commit makes the same bytes twice, and
/// the binaries in them run (arm64 under qemu). It packs the binaries under test (BUDGET_RUN_EXE,
/// BUDGET_RUN_ARM64_EXE), so no build happens here; without qemu here, only linux-x64.
/// </summary>
public sealed class ReleaseArchiveTests : IDisposable
{
    private readonly Scratch _scratch = new();

    [Fact]
    public async Task TheArchives_AreReproducible_Checksummed_AndTheirBinariesRun()
    {
        var first = await ReleaseAsync("first");
        var second = await ReleaseAsync("second");
        var archives = Directory.GetFiles(first, "*.tar.gz").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(Arm64.Unavailable is null ? 2 : 1, archives.Count);
        Assert.All(archives, name => Assert.Matches(@"^budget-run-[0-9]+\.[0-9]+\.[0-9]+-linux-(x64|arm64)\.tar\.gz$", name));
        foreach (var name in archives)
        {
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(first, name!)), await File.ReadAllBytesAsync(Path.Combine(second, name!)));
        }
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(first, "SHA256SUMS")), await File.ReadAllTextAsync(Path.Combine(second, "SHA256SUMS")));
        var check = await BudgetRunProcess.RunProgramAsync("/usr/bin/sha256sum", ["-c", "SHA256SUMS"], new RunSettings { WorkingDirectory = first });
        check.AssertExitCode(0);
        Assert.Equal(string.Concat(archives.OrderBy(name => name!.Contains("arm64", StringComparison.Ordinal)).Select(name => $"{name}: OK\n")), check.StdoutText);

        foreach (var name in archives)
        {
            var rid = name!.Contains("-linux-arm64", StringComparison.Ordinal) ? "linux-arm64" : "linux-x64";
            var extracted = await ExtractAsync(Path.Combine(first, name), rid);
            var expected = rid == "linux-arm64" ? Arm64.Binary : Executables.BudgetRun;
            Assert.Equal(await File.ReadAllBytesAsync(expected), await File.ReadAllBytesAsync(Path.Combine(extracted, "budget-run")));
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(Path.GetDirectoryName(expected)!, "budget-run-net")),
                await File.ReadAllBytesAsync(Path.Combine(extracted, "budget-run-net")));
            var version = rid == "linux-arm64"
                ? await BudgetRunProcess.StartProgram("/usr/bin/qemu-aarch64-static", [Path.Combine(extracted, "budget-run"), "--version"]).WaitAsync()
                : await BudgetRunProcess.StartProgram(Path.Combine(extracted, "budget-run"), ["--version"]).WaitAsync();
            version.AssertExitCode(0);
            var folder = name[..^$"-{rid}.tar.gz".Length];
            Assert.StartsWith($"budget-run {folder["budget-run-".Length..]}", version.StdoutText, StringComparison.Ordinal);
        }
    }

    /// <summary>Extracts the archive, checking its entries: one folder with the two binaries, README and license, owned by 0:0.</summary>
    private async Task<string> ExtractAsync(string archive, string rid)
    {
        var folder = Path.GetFileName(archive)[..^$"-{rid}.tar.gz".Length];
        var extracted = Directory.CreateDirectory(_scratch.Path("extracted-" + rid)).FullName;
        await using var gzip = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress);
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
        Assert.Equal([$"{folder}/", $"{folder}/LICENSE", $"{folder}/README.md", $"{folder}/budget-run", $"{folder}/budget-run-net"], entries);
        return extracted;
    }

    public void Dispose() => _scratch.Dispose();

    private async Task<string> ReleaseAsync(string name)
    {
        var output = _scratch.Path(name);
        var result = await BudgetRunProcess.RunProgramAsync("/bin/bash", [Repository.PathOf("eng/release.sh"), output],
            new RunSettings
            {
                Environment = new Dictionary<string, string?>
                {
                    ["BUDGET_RUN_EXE"] = Executables.BudgetRun,
                    ["BUDGET_RUN_ARM64_EXE"] = Arm64.Unavailable is null ? Arm64.Binary : null,
                    ["RIDS"] = Arm64.Unavailable is null ? "linux-x64 linux-arm64" : "linux-x64",
                },
                Timeout = TimeSpan.FromMinutes(3),
            });
        result.AssertExitCode(0);
        return output;
    }
}
