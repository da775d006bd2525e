using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// <c>budget-run statsu</c>: a first word one edit from a subcommand that is no program is a typo:
/// one line naming the subcommand, exit 127, nothing started. A program of that name runs as before,
/// and a word further away is an ordinary command that is not found.
/// </summary>
public sealed class SubcommandTypoRunTests : CliTest
{
    [Theory]
    [InlineData("statsu", "status")]
    [InlineData("stauts", "status")]
    [InlineData("Status", "status")]
    [InlineData("kil", "kill")]
    [InlineData("killl", "kill")]
    [InlineData("resmue", "resume")]
    [InlineData("serv", "serve")]
    [InlineData("budgte", "budget")]
    [InlineData("instal", "install")]
    public async Task TypoOfASubcommand_IsOneLineNamingIt_Exit127(string typo, string meant)
    {
        var result = await RunAsync([typo, "--budget-key", "nightly"]);

        result.AssertExitCode(127);
        Assert.Equal($"budget-run: unknown command '{typo}'; did you mean '{meant}'?", result.AssertOneStderrLine());
        Assert.Empty(result.Stdout);
    }

    [Theory]
    [InlineData("shwo", "budget-run: unknown budget subcommand 'shwo'; did you mean 'budget show'? (see budget-run --help)")]
    [InlineData("lst", "budget-run: unknown budget subcommand 'lst'; did you mean 'budget list'? (see budget-run --help)")]
    [InlineData("sett", "budget-run: unknown budget subcommand 'sett'; did you mean 'budget set'? (see budget-run --help)")]
    [InlineData("delete", "budget-run: unknown budget subcommand 'delete': use set, show or list (see budget-run --help)")]
    [InlineData(null, "budget-run: budget needs a subcommand: set, show or list (see budget-run --help)")]
    public async Task BudgetWithoutAKnownSubcommand_IsOneLineNamingThem_Exit2(string? word, string line)
    {
        var result = await RunAsync(word is null ? ["budget", "--budget-key", "nightly"] : ["budget", word, "nightly"]);

        result.AssertExitCode(2);
        Assert.Equal(line, result.AssertOneStderrLine());
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task TypoThatIsARealProgramOnPath_Runs()
    {
        var bin = Scratch.Path("bin");
        Directory.CreateDirectory(bin);
        var program = Path.Combine(bin, "statsu");
        File.WriteAllText(program, "#!/bin/sh\necho ran \"$@\"\nexit 3\n");
        File.SetUnixFileMode(program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var result = await RunWithEnvironmentAsync(new Dictionary<string, string?> { ["PATH"] = bin + ":/usr/bin:/bin", ["MAX_ATTEMPTS"] = "1" }, ["statsu", "now"]);

        result.AssertExitCode(3);
        Assert.Equal("ran now\n", result.StdoutText);
        Assert.DoesNotContain("did you mean", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("stattt")]
    [InlineData("kxyl")]
    public async Task WordTwoEditsAway_IsAnOrdinaryCommandNotFound_WithoutASuggestion(string word)
    {
        var result = await RunAsync(["--max-attempts", "1", "--", word]);
        var asFirstWord = await RunAsync([word]);

        foreach (var run in new[] { result, asFirstWord })
        {
            run.AssertExitCode(127);
            Assert.Contains($"command not found: {word}", run.AssertOneStderrLine(), StringComparison.Ordinal);
            Assert.DoesNotContain("did you mean", run.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TypoAfterDoubleDash_IsTheCommandItAsksFor()
    {
        var result = await RunAsync(["--max-attempts", "1", "--", "statsu"]);

        result.AssertExitCode(127);
        Assert.Contains("command not found: statsu", result.AssertOneStderrLine(), StringComparison.Ordinal);
    }
}
