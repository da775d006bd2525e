using BudgetRun.Cli.Tests.Infrastructure;

namespace BudgetRun.Cli.Tests;

/// <summary>
/// <c>budget-run completion bash</c>, loaded in a real bash: the completion function asks the
/// binary (the suggest directive) and completes its options, subcommands and fixed values; after
/// <c>--</c> the wrapped command completes as bash completes a command line. zsh and fish (not on
/// this machine) get their scripts; an unknown shell is a usage error.
/// </summary>
public sealed class CompletionTests : CliTest
{
    [Theory]
    [InlineData("budget-run --max-a", new[] { "--max-attempts" })]
    [InlineData("budget-run --max-c", new[] { "--max-cost-cents" })]
    [InlineData("budget-run --log-format ", new[] { "json", "text" })]
    [InlineData("budget-run --log-format j", new[] { "json" })]
    [InlineData("budget-run --cgroup ", new[] { "auto", "off", "required" })]
    [InlineData("budget-run st", new[] { "status" })]
    [InlineData("budget-run budget s", new[] { "set", "show" })]
    [InlineData("budget-run serve --led", new[] { "--ledger", "--ledger-timeout" })]
    [InlineData("budget-run completion ", new[] { "bash", "fish", "zsh" })]
    [InlineData("budget-run --max-attempts 3 --on-end-t", new[] { "--on-end-timeout" })]
    public async Task Bash_CompletesTheBinarysOwnWords(string line, string[] expected)
    {
        var completions = await CompleteAsync(line);

        Assert.Equal(expected, completions.Where(word => !word.StartsWith("/", StringComparison.Ordinal) && word is not ("-?" or "-h" or "--help")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Bash_AfterTheDoubleDash_CompletesTheWrappedCommandAndItsFiles()
    {
        var file = Scratch.Write("report-input.json", "{}");

        var commands = await CompleteAsync("budget-run --max-attempts 3 -- ech");
        var files = await CompleteAsync($"budget-run -- cat {Scratch.Path("report-in")}");

        Assert.Contains("echo", commands);
        Assert.DoesNotContain("--max-attempts", commands);
        Assert.Equal([file], files);
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

    /// <summary>Loads the bash script in a real bash and runs its function on <paramref name="line"/> with the cursor at the end.</summary>
    private async Task<string[]> CompleteAsync(string line)
    {
        var script = Scratch.Write("complete.sh", """
            eval "$("$BUDGET_RUN" completion bash)"
            COMP_LINE="$1"
            COMP_POINT=${#COMP_LINE}
            read -ra COMP_WORDS <<< "$COMP_LINE"
            [[ $COMP_LINE == *' ' ]] && COMP_WORDS+=("")
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            COMP_WORDS[0]="$BUDGET_RUN"
            _budget_run_complete
            printf '%s\n' "${COMPREPLY[@]}"
            """);
        var result = await BudgetRunProcess.RunProgramAsync("/bin/bash", [script, line],
            new RunSettings { Environment = new Dictionary<string, string?> { ["BUDGET_RUN"] = Executables.BudgetRun } });
        result.AssertExitCode(0);
        Assert.True(result.Stderr.Length == 0, result.ToString());
        return result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
