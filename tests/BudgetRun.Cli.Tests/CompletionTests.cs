using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// <c>budget-run completion bash|zsh|fish</c>, each loaded in a real bash, zsh and fish
/// (<see cref="CompletionShell"/>): the script asks the binary (the suggest directive) and completes
/// its options, subcommands and fixed values; where the binary has nothing to offer (a PATH value)
/// files complete; after <c>--</c> the wrapped command completes as the shell completes a command
/// line. An unknown shell is a usage error.
/// </summary>
public sealed class CompletionTests : CliTest
{
    private static readonly (string Line, string[] Expected)[] Lines =
    [
        ("budget-run --max-a", ["--max-attempts"]),
        ("budget-run --max-c", ["--max-cost-cents"]),
        ("budget-run --log-format ", ["json", "text"]),
        ("budget-run --log-format j", ["json"]),
        ("budget-run --cgroup ", ["auto", "off", "required"]),
        ("budget-run st", ["status"]),
        ("budget-run budget s", ["set", "show"]),
        ("budget-run serve --led", ["--ledger", "--ledger-timeout"]),
        ("budget-run completion ", ["bash", "fish", "zsh"]),
        ("budget-run --max-attempts 3 --on-end-t", ["--on-end-timeout"]),
    ];

    public static TheoryData<string, string, string[]> EachShellAndLine()
    {
        var data = new TheoryData<string, string, string[]>();
        foreach (var shell in CompletionShell.Shells)
        {
            foreach (var (line, expected) in Lines)
            {
                data.Add(shell, line, expected);
            }
        }
        return data;
    }

    public static TheoryData<string> EachShell() => [.. CompletionShell.Shells];

    [Theory]
    [MemberData(nameof(EachShellAndLine))]
    public async Task EachShell_CompletesTheBinarysOwnWords(string shell, string line, string[] expected)
    {
        var completions = await CompletionShell.CompleteAsync(Scratch, shell, line);

        // The help aliases (-?, -h, /?, /h) come with every command: not what these lines are about.
        Assert.Equal(expected, completions.Where(word => !word.StartsWith("/", StringComparison.Ordinal) && word is not ("-?" or "-h" or "--help")).Order(StringComparer.Ordinal));
    }

    // bash is left out: its harness makes COMP_LINE and COMP_WORDS itself, where readline would
    // make them of budget-run's command alone; zsh and fish get the whole line and must find it.
    [Theory]
    [InlineData("zsh")]
    [InlineData("fish")]
    public async Task ZshAndFish_WithAnotherCommandBeforeItOnTheLine_CompleteBudgetRunsWords(string shell)
    {
        var completions = await CompletionShell.CompleteAsync(Scratch, shell, "true && budget-run --log-format j");

        Assert.Equal(["json"], completions);
    }

    [Theory]
    [MemberData(nameof(EachShell))]
    public async Task EachShell_AfterTheDoubleDash_CompletesTheWrappedCommandAndItsFiles(string shell)
    {
        var file = Scratch.Write("report-input.json", "{}");

        var commands = await CompletionShell.CompleteAsync(Scratch, shell, "budget-run --max-attempts 3 -- ech");
        var files = await CompletionShell.CompleteAsync(Scratch, shell, $"budget-run -- cat {Scratch.Path("report-in")}");

        Assert.Contains("echo", commands);
        Assert.DoesNotContain("--max-attempts", commands);
        Assert.Equal([file], files);
    }

    [Theory]
    [MemberData(nameof(EachShell))]
    public async Task EachShell_WhereTheBinaryOffersNothing_CompletesFiles(string shell)
    {
        var token = Scratch.Write("control-token", "secret");
        var target = Directory.CreateDirectory(Scratch.Path("install-target")).FullName;

        var tokenFiles = await CompletionShell.CompleteAsync(Scratch, shell, $"budget-run --control-token-file {Scratch.Path("control-t")}");
        var installPaths = await CompletionShell.CompleteAsync(Scratch, shell, $"budget-run install {Scratch.Path("install-t")}");

        Assert.Equal([token], tokenFiles);
        // bash offers the directory as it is, zsh and fish with a slash to go on typing.
        Assert.Equal([target], installPaths.Select(path => path.TrimEnd('/')));
    }

    [Theory]
    [InlineData("zsh", "compdef _budget_run budget-run")]
    [InlineData("fish", "complete -c budget-run -f -a '(__budget_run_complete)'")]
    [InlineData("bash", "complete -o default -F _budget_run_complete budget-run")]
    public async Task EachShell_GetsAScriptThatAsksTheBinary(string shell, string registration)
    {
        var result = await RunAsync(["completion", shell]);

        result.AssertExitCode(0).AssertNoStackTrace();
        Assert.Contains("[suggest:", result.StdoutText, StringComparison.Ordinal);
        Assert.Contains(registration, result.StdoutText, StringComparison.Ordinal);
        Assert.Empty(result.Stderr);
    }

    [Theory]
    [InlineData(new[] { "completion", "tcsh" }, "budget-run: completion: 'tcsh' is not one of bash, zsh, fish (see budget-run --help)")]
    [InlineData(new[] { "completion" }, "budget-run: Required argument missing for command: 'completion'. (see budget-run --help)")]
    public async Task AShellItDoesNotKnow_IsAUsageError(string[] args, string message)
    {
        var result = await RunAsync(args);

        result.AssertExitCode(2).AssertNoStackTrace();
        Assert.Equal(message, result.AssertOneStderrLine());
        Assert.Empty(result.Stdout);
    }
}
