using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using BudgetRun.Deployment.Tests.Infrastructure;

namespace BudgetRun.Deployment.Tests;

/// <summary>
/// The .NET tool packages that eng/pack.sh builds (eng/test.sh builds them before the tests):
/// what is in them, and that a clean machine with only the .NET SDK installs and runs budget-run
/// from them, as a global tool, with <c>dotnet tool exec</c>, and as a local tool.
/// </summary>
public sealed partial class ToolPackageTests
{
    private const string SettingsEntry = "tools/any/any/DotnetToolSettings.xml";

    [Fact]
    public void Packages_CarryWhatRuns_WithLicenseReadmeAndCommit_StampedAlike()
    {
        var feed = ToolFeed.Locate();

        using var pointer = ZipFile.OpenRead(feed.Package("budget-run"));
        var settings = XDocument.Parse(Read(pointer, SettingsEntry));
        var rids = settings.Descendants("RuntimeIdentifierPackage")
            .ToDictionary(package => (string)package.Attribute("RuntimeIdentifier")!, package => (string)package.Attribute("Id")!);
        Assert.Equal(new Dictionary<string, string> { ["linux-x64"] = "budget-run.linux-x64", ["linux-arm64"] = "budget-run.linux-arm64", ["any"] = "budget-run.any" }, rids);
        Assert.Equal("budget-run", (string)settings.Descendants("Command").Single().Attribute("Name")!);

        var nuspec = XDocument.Parse(Read(pointer, "budget-run.nuspec"));
        XNamespace ns = nuspec.Root!.GetDefaultNamespace();
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.Equal("LICENSE", (string)metadata.Element(ns + "license")!);
        Assert.Equal("README.md", (string)metadata.Element(ns + "readme")!);
        Assert.Matches(CommitId(), (string)metadata.Element(ns + "repository")!.Attribute("commit")!);
        Assert.Equal("DotnetTool", (string)metadata.Descendants(ns + "packageType").Single().Attribute("name")!);

        // The AOT package: the two binaries (x86-64 ELF files; README, Two binaries) and the tool's settings, nothing that only debugs them.
        using var aot = ZipFile.OpenRead(feed.Package("budget-run.linux-x64"));
        Assert.Equal(["LICENSE", "README.md", "tools/any/linux-x64/DotnetToolSettings.xml", "tools/any/linux-x64/budget-run", "tools/any/linux-x64/budget-run-net"], Payload(aot));
        using (var binary = aot.GetEntry("tools/any/linux-x64/budget-run")!.Open())
        {
            var header = new byte[20];
            binary.ReadExactly(header);
            Assert.Equal("\u007fELF"u8.ToArray(), header[..4]);
            Assert.Equal(62, BitConverter.ToUInt16(header, 18)); // e_machine EM_X86_64
        }

        // The linux-arm64 package: the same, an AArch64 ELF file (cross-compiled; Arm64Tests run it under qemu).
        using var arm64 = ZipFile.OpenRead(feed.Package("budget-run.linux-arm64"));
        Assert.Equal(["LICENSE", "README.md", "tools/any/linux-arm64/DotnetToolSettings.xml", "tools/any/linux-arm64/budget-run", "tools/any/linux-arm64/budget-run-net"], Payload(arm64));
        using (var binary = arm64.GetEntry("tools/any/linux-arm64/budget-run")!.Open())
        {
            var header = new byte[20];
            binary.ReadExactly(header);
            Assert.Equal("\u007fELF"u8.ToArray(), header[..4]);
            Assert.Equal(183, BitConverter.ToUInt16(header, 18)); // e_machine EM_AARCH64
        }

        // The framework-dependent fallback: assemblies and the native helper, no symbols, no docs,
        // no native builds for platforms budget-run does not run on.
        using var any = ZipFile.OpenRead(feed.Package("budget-run.any"));
        var files = Payload(any);
        Assert.Contains("tools/net10.0/any/budget-run.dll", files);
        Assert.Contains("tools/net10.0/any/libbudgetrun_native.so", files);
        Assert.Contains("tools/net10.0/any/runtimes/linux-x64/native/libe_sqlite3.so", files);
        Assert.DoesNotContain(files, name => name.EndsWith(".pdb", StringComparison.Ordinal) || name.EndsWith(".dbg", StringComparison.Ordinal));
        Assert.DoesNotContain(files, name => name.EndsWith(".xml", StringComparison.Ordinal) && !name.EndsWith("DotnetToolSettings.xml", StringComparison.Ordinal));
        Assert.DoesNotContain(files, name => Regex.IsMatch(name, "/runtimes/(win|osx|maccatalyst|browser)"));

        // Every entry of every package carries the commit's time, so the same commit packs alike.
        var stamps = new[] { pointer, aot, arm64, any }.SelectMany(zip => zip.Entries).Select(entry => entry.LastWriteTime).Distinct().ToList();
        Assert.Single(stamps);
    }

    [Fact]
    public async Task GlobalInstall_FromTheLocalFeed_RunsTheAotBinary_AndARealRetriedJob()
    {
        var feed = ToolFeed.Locate();
        using var home = new ToolHome();

        (await home.DotnetAsync(["tool", "install", "-g", "budget-run", "--version", feed.Version, .. home.Sources(feed.Directory)])).AssertExitCode(0);

        var installed = Path.Combine(home.Directory, ".dotnet", "tools", "budget-run");
        Assert.Contains("/budget-run.linux-x64/", new FileInfo(installed).LinkTarget, StringComparison.Ordinal);
        await AssertRunsARetriedJobAsync(home, installed, []);
        // A network feature through the tool's link: budget-run finds budget-run-net in the package beside its real path.
        var listening = await home.RunAsync(installed, ["--listen", "127.0.0.1:0", "--max-attempts", "1", "--", "sh", "-c", "echo $BUDGET_RUN_URL; exit 4"]);
        listening.AssertExitCode(4);
        Assert.StartsWith("http://127.0.0.1:", listening.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ToolExec_AndALocalToolManifest_RunBudgetRun()
    {
        var feed = ToolFeed.Locate();
        using var home = new ToolHome();

        // dnx: downloads and runs in one step, nothing installed.
        var exec = await home.DotnetAsync(["tool", "exec", "--yes", $"budget-run@{feed.Version}", .. home.Sources(feed.Directory), "--", "--version"]);
        exec.AssertExitCode(0);
        Assert.StartsWith($"budget-run {feed.Version} (commit ", exec.StdoutText, StringComparison.Ordinal);

        // A local tool, pinned by the repository's manifest.
        var repository = Directory.CreateDirectory(Path.Combine(home.Directory, "repo")).FullName;
        (await home.DotnetAsync(["new", "tool-manifest"], repository)).AssertExitCode(0);
        (await home.DotnetAsync(["tool", "install", "budget-run", "--version", feed.Version, .. home.Sources(feed.Directory)], repository)).AssertExitCode(0);
        Assert.Contains("\"budget-run\"", File.ReadAllText(Path.Combine(repository, "dotnet-tools.json")), StringComparison.Ordinal);
        await AssertRunsARetriedJobAsync(home, "dotnet", ["tool", "run", "budget-run", "--"], repository);
    }

    [Fact]
    public async Task WithoutAPackageForThisPlatform_TheFrameworkDependentFallbackIsInstalled_AndRunsTheJob()
    {
        var feed = ToolFeed.Locate();
        using var home = new ToolHome();
        // What the CLI sees on a platform that has no package of its own (linux-arm64 today): the
        // pointer, with this machine's RID taken out of its list, and the `any` package.
        var partial = Directory.CreateDirectory(Path.Combine(home.Directory, "feed")).FullName;
        File.Copy(feed.Package("budget-run.any"), Path.Combine(partial, Path.GetFileName(feed.Package("budget-run.any"))));
        var pointer = Path.Combine(partial, Path.GetFileName(feed.Package("budget-run")));
        File.Copy(feed.Package("budget-run"), pointer);
        using (var zip = ZipFile.Open(pointer, ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry(SettingsEntry)!;
            var settings = XDocument.Parse(Read(zip, SettingsEntry));
            settings.Descendants("RuntimeIdentifierPackage").Single(package => (string)package.Attribute("RuntimeIdentifier")! == "linux-x64").Remove();
            entry.Delete();
            using var writer = new StreamWriter(zip.CreateEntry(SettingsEntry).Open());
            writer.Write(settings.ToString());
        }

        (await home.DotnetAsync(["tool", "install", "-g", "budget-run", "--version", feed.Version, .. home.Sources(partial)])).AssertExitCode(0);

        var installed = Path.Combine(home.Directory, ".dotnet", "tools", "budget-run");
        Assert.Null(new FileInfo(installed).LinkTarget); // the SDK's shim, which starts budget-run.dll
        var store = Path.Combine(home.Directory, ".dotnet", "tools", ".store", "budget-run", feed.Version, "budget-run.any");
        Assert.True(Directory.Exists(store), $"{store} is missing");
        await AssertRunsARetriedJobAsync(home, installed, []);

        // Where the native helper cannot be loaded (another architecture), one line says so.
        foreach (var helper in Directory.EnumerateFiles(store, "libbudgetrun_native.so", SearchOption.AllDirectories))
        {
            File.Delete(helper);
        }
        var broken = await home.RunAsync(installed, ["--max-attempts", "1", "--", "true"]);
        broken.AssertExitCode(70);
        Assert.StartsWith("budget-run: budget-run's native helper (libbudgetrun_native.so) is missing or not built for this machine (linux-x64)", broken.AssertOneStderrLine(), StringComparison.Ordinal);
    }

    /// <summary>Two attempts of a failing job at 25 cents each: exit 3, 50 cents in the report.</summary>
    private static async Task AssertRunsARetriedJobAsync(ToolHome home, string program, string[] prefix, string? workingDirectory = null)
    {
        var report = Path.Combine(home.Directory, $"report-{Guid.NewGuid():N}.json");
        var run = await home.RunAsync(program,
            [.. prefix, "--max-attempts", "2", "--max-cost-cents", "100", "--cost-per-attempt-cents", "25", "--report", report,
             "--", "sh", "-c", "echo attempt $BUDGET_RUN_ATTEMPT; exit 3"],
            workingDirectory);

        run.AssertExitCode(3);
        Assert.Equal("attempt 1\nattempt 2\n", run.StdoutText);
        var written = RunReport.Load(report);
        Assert.Equal("attemptsExhausted", written.Outcome);
        Assert.Equal(2, written.Attempts.Count);
        Assert.Equal(50, written.CostCents);
    }

    private static string Read(ZipArchive zip, string name)
    {
        using var reader = new StreamReader(zip.GetEntry(name)?.Open() ?? throw new InvalidOperationException($"{name} is not in the package"));
        return reader.ReadToEnd();
    }

    /// <summary>The package's own files, without NuGet's bookkeeping (nuspec, rels, content types).</summary>
    [Fact]
    public void TheClientLibrary_IsPackedBesideTheTool_ForNet8AndNet10_WithItsDocs()
    {
        using var client = ZipFile.OpenRead(ToolFeed.Locate().Package("BudgetRun.Client"));

        Assert.Equal(
            ["LICENSE", "README.md", "lib/net10.0/BudgetRun.Client.dll", "lib/net10.0/BudgetRun.Client.xml", "lib/net8.0/BudgetRun.Client.dll", "lib/net8.0/BudgetRun.Client.xml"],
            Payload(client));
        var nuspec = XDocument.Parse(Read(client, "BudgetRun.Client.nuspec"));
        XNamespace ns = nuspec.Root!.GetDefaultNamespace();
        var dependencies = nuspec.Descendants(ns + "dependency").Select(dependency => (string)dependency.Attribute("id")!).ToHashSet();
        Assert.Contains("Polly.Core", dependencies);
        Assert.Contains("Microsoft.Extensions.Http", dependencies);
        Assert.DoesNotContain(dependencies, id => id.StartsWith("BudgetRun.", StringComparison.Ordinal) || id.Contains("PublicApiAnalyzers", StringComparison.Ordinal));
        // Each framework on its own line of Microsoft.Extensions.*: a net8.0 app keeps its 8.0 packages.
        var http = nuspec.Descendants(ns + "group").ToDictionary(
            group => (string)group.Attribute("targetFramework")!,
            group => (string)group.Elements(ns + "dependency").Single(dependency => (string)dependency.Attribute("id")! == "Microsoft.Extensions.Http").Attribute("version")!);
        Assert.StartsWith("8.0.", http["net8.0"], StringComparison.Ordinal);
        Assert.StartsWith("10.0.", http["net10.0"], StringComparison.Ordinal);
        Assert.Matches(CommitId(), (string)nuspec.Descendants(ns + "repository").Single().Attribute("commit")!);
    }

    private static List<string> Payload(ZipArchive zip) =>
        zip.Entries.Select(entry => entry.FullName)
            .Where(name => !name.EndsWith(".nuspec", StringComparison.Ordinal) && !name.StartsWith('_') && !name.StartsWith('[') && !name.StartsWith("package/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitId();
}
