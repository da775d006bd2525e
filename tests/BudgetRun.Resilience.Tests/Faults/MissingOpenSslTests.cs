using BudgetRun.Resilience.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BudgetRun.Resilience.Tests.Faults;

/// <summary>
/// Fault: an image without OpenSSL (the Native AOT binary needs only libc and libm, so it runs in
/// one) and a <c>rediss://</c> ledger. The .NET runtime aborts the process (SIGABRT, exit 134) when
/// it needs OpenSSL and finds none. Promise: budget-run checks first and fails closed with exit 69
/// and one line saying what to install; a run without TLS is unaffected. The library is hidden by
/// bind-mounting an empty file over it in a private mount namespace (root only).
/// </summary>
public sealed class MissingOpenSslTests(ITestOutputHelper output) : ResilienceTest
{
    [RootFact]
    public async Task Rediss_WithoutLibssl_StartsNothing_Exits69InOneLine()
    {
        var result = await RunWithoutOpenSslAsync(["--budget-key", "tls/job", "--ledger", "rediss://127.0.0.1:1/0", "--max-cost-cents", "10",
            "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")]);

        output.WriteLine(result.Stderr);
        result.AssertExitCode(69).AssertNoStackTrace();
        Assert.Equal(0, Scratch.Count("attempts"));
        Assert.Equal("budget-run: ledger rediss://127.0.0.1:1/0 is unavailable: TLS (rediss://) needs OpenSSL and no libssl could be loaded (Debian: install libssl3)",
            Assert.Single(result.StderrLines));
    }

    [RootFact]
    public async Task PlainRun_WithoutLibssl_RunsAsUsual()
    {
        var result = await RunWithoutOpenSslAsync(["--max-cost-cents", "10", "--", .. Child("--count", Scratch.Path("attempts"), "exit", "0")]);

        result.AssertExitCode(0).AssertNoStackTrace();
        Assert.Equal(1, Scratch.Count("attempts"));
    }

    /// <summary>budget-run with every libssl the runtime would probe replaced by an empty file.</summary>
    private async Task<ProcessResult> RunWithoutOpenSslAsync(string[] args)
    {
        var empty = Scratch.Path("empty.so");
        await File.WriteAllBytesAsync(empty, []);
        var libraries = Directory.GetFiles("/usr/lib/x86_64-linux-gnu", "libssl.so*");
        Assert.NotEmpty(libraries);
        var hide = string.Join(" && ", libraries.Select(library => $"mount --bind '{empty}' '{library}'"));
        using var run = BudgetRunProcess.StartProgram("unshare", ["-m", "sh", "-c", $"{hide} && exec \"$0\" \"$@\"", Executables.BudgetRun, .. args],
            new RunSettings { Environment = CleanEnvironment(), Timeout = TimeSpan.FromSeconds(30) });
        return await run.WaitAsync();
    }
}
