namespace BudgetRun.Cli.Tests.Infrastructure;

/// <summary>
/// Loads the script of <c>budget-run completion SHELL</c> in a real bash, zsh or fish and asks it to
/// complete a line with the cursor at its end, as a user's TAB would; returns the candidates, one
/// word each. budget-run is found on PATH, as in a user's shell. A missing shell fails the test
/// (eng/install-deps.sh installs all three), it is never skipped.
/// </summary>
internal static class CompletionShell
{
    public static readonly string[] Shells = ["bash", "zsh", "fish"];

    public static async Task<string[]> CompleteAsync(Scratch scratch, string shell, string line)
    {
        var (program, script) = shell switch
        {
            "bash" => ("/bin/bash", scratch.Write("complete.bash", Bash)),
            "zsh" => ("/usr/bin/zsh", scratch.Write("complete.zsh", Zsh)),
            "fish" => ("/usr/bin/fish", scratch.Write("complete.fish", Fish)),
            _ => throw new ArgumentOutOfRangeException(nameof(shell), shell, "bash, zsh or fish"),
        };
        if (!File.Exists(program))
        {
            throw new InvalidOperationException($"{program} is missing: run eng/install-deps.sh (Debian package {shell})");
        }
        var capture = scratch.Path($"{shell}.candidates");
        File.Delete(capture);
        string[] args = shell switch
        {
            "zsh" => ["-f", script, scratch.Write("capture.zsh", ZshCapture), line],
            "fish" => ["--no-config", script, line],
            _ => [script, line],
        };
        var result = await BudgetRunProcess.RunProgramAsync(program, args, new RunSettings
        {
            Environment = new Dictionary<string, string?>
            {
                ["BUDGET_RUN"] = Executables.BudgetRun,
                ["CAPTURE"] = capture,
                ["TERM"] = "dumb",
                // fish keeps its history and universal variables there; the user's are not ours.
                ["XDG_CONFIG_HOME"] = scratch.Path("config"),
                ["XDG_DATA_HOME"] = scratch.Path("data"),
            },
        });
        result.AssertExitCode(0);
        Assert.True(result.Stderr.Length == 0, result.ToString());
        var output = shell == "zsh" ? (File.Exists(capture) ? File.ReadAllText(capture) : "") : result.StdoutText;
        // fish prints "word<TAB>description" for what its own completions describe.
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(candidate => candidate.Split('\t')[0])];
    }

    /// <summary>
    /// bash: the script's function run on a COMP_* state made from the line, as readline makes it,
    /// and readline's part of the registration too: -o default, file names when it offers nothing.
    /// </summary>
    private const string Bash = """
        PATH="${BUDGET_RUN%/*}:$PATH"
        eval "$(budget-run completion bash)"
        COMP_LINE="$1"
        COMP_POINT=${#COMP_LINE}
        read -ra COMP_WORDS <<< "$COMP_LINE"
        [[ $COMP_LINE == *' ' ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        _budget_run_complete
        if [[ ${#COMPREPLY[@]} -eq 0 && $(complete -p budget-run) == *'-o default'* ]]; then
            mapfile -t COMPREPLY < <(compgen -f -- "${COMP_WORDS[COMP_CWORD]}")
        fi
        printf '%s\n' "${COMPREPLY[@]}"
        """;

    /// <summary>
    /// zsh: completion runs only inside the line editor, so an interactive zsh in a pseudo-terminal
    /// (zsh/zpty) sources <see cref="ZshCapture"/> and is sent the line and a TAB; it reports on the
    /// terminal when it is ready and when completion has ended, and the candidates go to $CAPTURE.
    /// </summary>
    private const string Zsh = """
        zmodload zsh/zpty
        zpty shell zsh -f -i
        zpty -w shell "source ${(q)1}"
        zpty -r shell out '*<<ready>>*' || exit 3
        zpty -w -n shell "$2"$'\t'
        zpty -r shell out '*<<completed>>*' || exit 4
        zpty -d shell
        """;

    /// <summary>
    /// The completion system with the script loaded, and compadd wrapped to write every candidate
    /// it is given that matches the word (zsh's own matching, through compadd -O), as inserted:
    /// with the prefixes (-P, -p) that _files and friends pass apart.
    /// </summary>
    private const string ZshCapture = """
        PS1='' RPS1=''
        autoload -Uz compinit && compinit -u -D
        path=(${BUDGET_RUN:h} $path)
        eval "$(budget-run completion zsh)"
        compadd() {
            # The completion functions' own queries (-O, -A, -D: into an array, nothing offered).
            if [[ ${@[1,(i)(-|--)]} == *-[OAD]\ * ]]; then
                builtin compadd "$@"
                return
            fi
            local -a hits
            local -A opts
            builtin compadd -O hits "$@"
            zparseopts -E -A opts P: p:
            (( $#hits )) && print -rl -- "$IPREFIX${opts[-P]}${opts[-p]}"${^hits} >> $CAPTURE
            builtin compadd "$@"
        }
        _capture_ended() { print -n '<<''completed>>'; }
        comppostfuncs=(_capture_ended)
        print -n '<<''ready>>'
        """;

    /// <summary>fish: <c>complete -C</c> prints what TAB would offer for a line.</summary>
    private const string Fish = """
        set -gx PATH (path dirname -- $BUDGET_RUN) $PATH
        budget-run completion fish | source
        complete -C $argv[1]
        """;
}
