using System.Text;
using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// The Native AOT publish is two binaries (README, "Two binaries"): the lean <c>budget-run</c>,
/// without the network features, and <c>budget-run-net</c> beside it, which the lean one becomes
/// (execve: same pid, same arguments, same environment, same inherited signal dispositions) for a
/// command that needs one. Every other test runs through that hand-over too; these pin it down: who
/// runs what, that nothing starts or is said before it, and what a lean binary alone does.
/// </summary>
public sealed class TwoBinariesTests : CliTest
{
    private static string Companion => Path.Combine(Path.GetDirectoryName(Executables.BudgetRun)!, "budget-run-net");

    /// <summary>Prints the executable of the child's parent (budget-run), then its pid.</summary>
    private static readonly string[] WhoRunsMe = ["sh", "-c", "readlink /proc/$PPID/exe; echo $PPID"];

    [AotFact]
    public void ThePublish_PutsBudgetRunNetBesideBudgetRun_AndOnlyItCarriesTheNetworkLibraries()
    {
        Assert.True(File.Exists(Companion), $"{Companion} is missing: the AOT publish makes it beside budget-run");
        var lean = File.ReadAllBytes(Executables.BudgetRun);
        var net = File.ReadAllBytes(Companion);
        // ILC left them out of the lean binary: not one of their type names is in it.
        foreach (var name in new[] { "Npgsql", "StackExchange.Redis", "Microsoft.AspNetCore.Server.Kestrel" })
        {
            Assert.False(Contains(lean, name), $"the lean budget-run carries {name}");
            Assert.True(Contains(net, name), $"budget-run-net lacks {name}");
        }
        Assert.True(lean.Length * 2 < net.Length, $"the lean binary is {lean.Length} bytes, budget-run-net {net.Length}");
    }

    /// <summary>
    /// The lean binary is linked at a fixed address (ET_EXEC, its type data final in the file, no
    /// rehydration at start); budget-run-net, which listens on sockets, stays position-independent
    /// (ET_DYN) so ASLR places its image. README, "Where start-up time and memory go".
    /// </summary>
    [AotFact]
    public void TheLeanBinary_IsLinkedAtAFixedAddress_AndBudgetRunNetIsPositionIndependent()
    {
        const ushort Exec = 2, Dyn = 3;
        Assert.Equal(Exec, ElfType(Executables.BudgetRun));
        Assert.Equal(Dyn, ElfType(Companion));
        // At a fixed address the dynamic linker has next to nothing to relocate: a position-
        // independent build of the same image carries 122,000 relocations (2.9 MB).
        Assert.True(RelaDynSize(Executables.BudgetRun) < 64 * 1024, $".rela.dyn is {RelaDynSize(Executables.BudgetRun)} bytes");
    }

    /// <summary>e_type of an ELF64 little-endian file.</summary>
    private static ushort ElfType(string path)
    {
        var header = File.ReadAllBytes(path).AsSpan(0, 64);
        Assert.True(header.StartsWith("\u007FELF"u8), $"{path} is not ELF");
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(header[16..]);
    }

    /// <summary>The size of the .rela.dyn section, from the section headers.</summary>
    private static long RelaDynSize(string path)
    {
        var elf = File.ReadAllBytes(path).AsSpan();
        var shoff = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(elf[0x28..]);
        var shentsize = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(elf[0x3A..]);
        var shnum = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(elf[0x3C..]);
        var shstrndx = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(elf[0x3E..]);
        var strtab = elf[(shoff + (shstrndx * shentsize))..];
        var names = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(strtab[0x18..]);
        for (var i = 0; i < shnum; i++)
        {
            var section = elf[(shoff + (i * shentsize))..];
            var nameAt = names + (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(section);
            var name = elf[nameAt..];
            if (name.StartsWith(".rela.dyn\0"u8))
            {
                return (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(section[0x20..]);
            }
        }
        return 0;
    }

    [AotFact]
    public async Task APlainRun_AndLocalFeatures_StayInTheLeanBinary()
    {
        var ledger = Scratch.Path("ledger.db");
        string[][] runs =
        [
            [.. WhoRunsMe],
            ["--ledger", $"sqlite:{ledger}", "--budget-key", "local", "--max-cost-cents", "10", "--", .. WhoRunsMe],
            ["--health-cmd", "true", "--health-interval", "1s", "--", .. WhoRunsMe],
            ["--retry-if-output", "x", "--cgroup", "off", "--", .. WhoRunsMe],
        ];
        foreach (var args in runs)
        {
            var run = await RunAsync(args[0] == "sh" ? ["--", .. args] : args);

            run.AssertExitCode(0).AssertNoStackTrace();
            Assert.Equal(Path.GetFullPath(Executables.BudgetRun), run.StdoutText.Split('\n')[0]);
        }
    }

    [AotFact]
    public async Task ANetworkFeature_BecomesBudgetRunNet_InTheSameProcess()
    {
        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // nothing listens there now: pushes and checks fail, which a run survives
        string[][] runs =
        [
            ["--listen", "127.0.0.1:0"],
            ["--pushgateway", $"http://127.0.0.1:{port}"],
            ["--health-url", $"http://127.0.0.1:{port}/", "--health-interval", "10s"],
        ];
        foreach (var flags in runs)
        {
            using var run = BudgetRunProcess.Start([.. flags, "--max-attempts", "1", "--", .. WhoRunsMe]);

            var result = await run.WaitAsync();

            result.AssertExitCode(0).AssertNoStackTrace();
            var lines = result.StdoutText.Split('\n');
            Assert.Equal(Path.GetFullPath(Companion), lines[0]);
            Assert.Equal(run.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), lines[1]); // execve: the pid the caller started
        }
    }

    [AotFact]
    public async Task AcrossTheHandOver_AnIgnoredSigintStaysIgnored()
    {
        // As SignalTests' background job, with --listen: the lean binary must not install a handler
        // (which execve would turn into the default action) before it hands over.
        var childPid = Scratch.Path("child.pid");
        using var shell = BudgetRunProcess.StartProgram("sh",
            ["-c", "\"$0\" \"$@\" & wait $!", Executables.BudgetRun, "--listen", "127.0.0.1:0", "--max-attempts", "1", "--kill-grace", "300ms",
                "--", .. Child("--pid-file", childPid, "sleep", "600000")]);
        var child = await Wait.ForPidAsync(childPid, shell);
        var budgetRun = Posix.Stat(child)?.ParentPid ?? throw new Xunit.Sdk.XunitException("the child is gone");
        Assert.Equal(Path.GetFullPath(Companion), new FileInfo($"/proc/{budgetRun}/exe").LinkTarget);

        Posix.Kill(budgetRun, Posix.SIGINT);
        await Task.Delay(500);

        Assert.True(Posix.IsAlive(budgetRun), $"SIGINT ended budget-run-net although budget-run was started with SIGINT ignored\n{shell.StderrSoFar}");
        Assert.True(Posix.IsAlive(child), "the child died of a SIGINT that budget-run was started to ignore");
        Posix.Kill(budgetRun, Posix.SIGTERM);
        (await shell.WaitAsync()).AssertExitCode(143);
    }

    [AotFact]
    public async Task ABadFlag_BesideANetworkFeature_IsTheLeanBinarysUsageError()
    {
        // Every flag is read before the hand-over: a lean binary alone still says what is wrong with the line.
        var alone = LeanAlone();

        var result = await BudgetRunProcess.RunProgramAsync(alone, ["--listen", "127.0.0.1:0", "--max-attempts", "0", "--", "true"]);

        result.AssertExitCode(2).AssertNoStackTrace();
        Assert.Contains("--max-attempts", result.AssertOneStderrLine(), StringComparison.Ordinal);
    }

    public static TheoryData<string[]> NetworkCommands() => new(
        ["--listen", "127.0.0.1:0", "--", "touch", "MARKER"],
        ["--pushgateway", "http://127.0.0.1:9", "--", "touch", "MARKER"],
        ["--health-url", "http://127.0.0.1:9/", "--", "touch", "MARKER"],
        ["--ledger", "redis://127.0.0.1:1", "--budget-key", "k", "--max-cost-cents", "5", "--", "touch", "MARKER"],
        ["--ledger", "postgres://budget@127.0.0.1:1/budget", "--budget-key", "k", "--max-cost-cents", "5", "--", "touch", "MARKER"],
        ["serve", "--budget-key", "k", "--max-cost-cents", "5"],
        ["budget", "show", "k", "--ledger", "redis://127.0.0.1:1"],
        ["budget", "list", "--ledger", "postgresql://budget@127.0.0.1:1/budget"],
        ["history", "k", "--ledger", "redis://127.0.0.1:1"],
        ["status", "--budget-key", "k", "--ledger", "redis://127.0.0.1:1"],
        ["kill", "--budget-key", "k", "--ledger", "postgres://budget@127.0.0.1:1/budget"]);

    [AotTheory]
    [MemberData(nameof(NetworkCommands))]
    public async Task LeanAlone_ACommandThatNeedsTheNetwork_IsOneLineAndExit70_WithNothingStarted(string[] args)
    {
        var alone = LeanAlone();
        var marker = Scratch.Path("marker");
        var state = Scratch.Path("state");

        var result = await BudgetRunProcess.RunProgramAsync(alone, args.Select(arg => arg == "MARKER" ? marker : arg),
            new RunSettings { Environment = new Dictionary<string, string?> { ["BUDGET_RUN_STATE_DIR"] = state } });

        result.AssertExitCode(70).AssertNoStackTrace();
        var line = result.AssertOneStderrLine();
        Assert.Contains($"is in budget-run-net, and {Path.Combine(Path.GetDirectoryName(alone)!, "budget-run-net")} does not exist", line, StringComparison.Ordinal);
        Assert.Contains("see README, Two binaries", line, StringComparison.Ordinal);
        Assert.Empty(result.StdoutText);
        Assert.False(File.Exists(marker), "the command ran");
        Assert.False(Directory.Exists(state), "budget-run wrote its state before handing over");
    }

    [AotFact]
    public async Task LeanAlone_TheLedgerFromTheEnvironment_IsHandedOverToo()
    {
        var alone = LeanAlone();

        var result = await BudgetRunProcess.RunProgramAsync(alone, ["--budget-key", "k", "--max-cost-cents", "5", "--", "true"],
            new RunSettings { Environment = new Dictionary<string, string?> { ["BUDGET_RUN_LEDGER"] = "redis://127.0.0.1:1" } });

        result.AssertExitCode(70).AssertNoStackTrace();
        Assert.StartsWith("budget-run: a Redis ledger is in budget-run-net", result.AssertOneStderrLine(), StringComparison.Ordinal);
    }

    [AotFact]
    public async Task LeanAlone_ACompanionThatCannotRun_IsSaidInOneLine()
    {
        var alone = LeanAlone();
        var companion = Path.Combine(Path.GetDirectoryName(alone)!, "budget-run-net");
        await File.WriteAllTextAsync(companion, "not a program");
        File.SetUnixFileMode(companion, UnixFileMode.UserRead | UnixFileMode.UserWrite); // not executable

        var result = await BudgetRunProcess.RunProgramAsync(alone, ["--listen", "127.0.0.1:0", "--", "true"]);

        result.AssertExitCode(70).AssertNoStackTrace();
        Assert.Contains($"--listen is in budget-run-net, and {companion} cannot be executed: ", result.AssertOneStderrLine(), StringComparison.Ordinal);
    }

    [AotFact]
    public async Task LeanAlone_LocalFeaturesRun()
    {
        var alone = LeanAlone();
        var ledger = Scratch.Path("alone.db");

        var plain = await BudgetRunProcess.RunProgramAsync(alone, ["--max-attempts", "2", "--base-delay", "10ms", "--", "sh", "-c", "exit 3"]);
        var persistent = await BudgetRunProcess.RunProgramAsync(alone,
            ["--ledger", $"sqlite:{ledger}", "--budget-key", "alone", "--max-cost-cents", "10", "--cost-per-attempt-cents", "4", "--", "true"]);
        var show = await BudgetRunProcess.RunProgramAsync(alone, ["budget", "show", "alone", "--ledger", $"sqlite:{ledger}"]);

        plain.AssertExitCode(3).AssertNoStackTrace();
        persistent.AssertExitCode(0).AssertNoStackTrace();
        show.AssertExitCode(0).AssertNoStackTrace();
        Assert.Contains("alone", show.StdoutText, StringComparison.Ordinal);
    }

    /// <summary>The lean binary copied alone into a directory of the test's.</summary>
    private string LeanAlone()
    {
        var directory = Directory.CreateDirectory(Scratch.Path("alone")).FullName;
        var copy = Path.Combine(directory, "budget-run");
        if (!File.Exists(copy))
        {
            File.Copy(Executables.BudgetRun, copy);
        }
        return copy;
    }

    private static bool Contains(byte[] haystack, string needle) => haystack.AsSpan().IndexOf(Encoding.ASCII.GetBytes(needle)) >= 0;
}
