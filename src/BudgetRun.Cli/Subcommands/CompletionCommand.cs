using System.CommandLine;
using BudgetRun.Cli.Logging;
using BudgetRun.Engine;

namespace BudgetRun.Cli.Subcommands;

/// <summary>
/// <c>budget-run completion bash|zsh|fish</c>: prints the shell's completion script. Each script
/// asks budget-run itself what completes the line, through System.CommandLine's suggest directive
/// (<c>budget-run "[suggest:POSITION]" "LINE"</c>, <see cref="Suggest"/>), so options,
/// subcommands and fixed values (<c>--log-format text|json</c>) are always the binary's own. After
/// <c>--</c> the wrapped command is completed as the shell completes a command line of its own.
/// </summary>
internal static class CompletionCommand
{
    /// <summary>The first argument of a completion request from one of the scripts.</summary>
    public const string SuggestDirective = "[suggest";

    public static async Task<int> RunAsync(string shell)
    {
        using var stdout = StandardStream.Writer(1);
        await stdout.WriteAsync(shell switch
        {
            "bash" => Bash,
            "zsh" => Zsh,
            _ => Fish,
        }).ConfigureAwait(false);
        await stdout.FlushAsync().ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>Answers <c>budget-run "[suggest:N]" "LINE"</c>: one completion per line on stdout.</summary>
    public static int Suggest(RootCommand root, string[] args)
    {
        using var stdout = StandardStream.Writer(1);
        return root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null })
            .Invoke(new InvocationConfiguration { Output = stdout, Error = TextWriter.Null, EnableDefaultExceptionHandler = false });
    }

    private const string Bash = """
        # budget-run completion for bash. Load it with: eval "$(budget-run completion bash)"
        _budget_run_complete() {
            local cur=${COMP_WORDS[COMP_CWORD]} i
            for ((i = 1; i < COMP_CWORD; i++)); do
                if [[ ${COMP_WORDS[i]} == -- ]]; then
                    # The wrapped command: completed as bash completes a command line of its own.
                    if declare -F _command_offset >/dev/null; then
                        _command_offset $((i + 1))
                    elif ((i + 1 == COMP_CWORD)); then
                        mapfile -t COMPREPLY < <(compgen -c -- "$cur")
                    else
                        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                    fi
                    return
                fi
            done
            local IFS=$'\n'
            mapfile -t COMPREPLY < <(compgen -W "$("${COMP_WORDS[0]}" "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)" -- "$cur")
        }
        complete -o default -F _budget_run_complete budget-run

        """;

    private const string Zsh = """
        #compdef budget-run
        # budget-run completion for zsh. Load it with: eval "$(budget-run completion zsh)"
        _budget_run() {
            local i
            for ((i = 2; i < CURRENT; i++)); do
                if [[ ${words[i]} == -- ]]; then
                    words=("${(@)words[i+1,-1]}")
                    (( CURRENT -= i ))
                    _normal
                    return
                fi
            done
            local -a completions
            completions=("${(@f)$(${words[1]} "[suggest:${CURSOR}]" "${BUFFER}" 2>/dev/null)}")
            # Nothing to suggest (the value of --control-token-file, install's PATH): files, as
            # bash's -o default does. ${completions:#} drops the empty word of an empty answer.
            compadd -- "${(@)completions:#}" || _files
        }
        compdef _budget_run budget-run

        """;

    private const string Fish = """
        # budget-run completion for fish. Load it with: budget-run completion fish | source
        function __budget_run_complete
            set -l tokens (commandline -opc)
            set -l dashdash (contains -i -- -- $tokens)
            if test -n "$dashdash"
                # The tokens come unquoted: escaped again, so that a word with a space stays one word.
                complete -C (string join ' ' -- (string escape -- $tokens[(math $dashdash + 1)..-1]) (commandline -ct))
                return
            end
            set -l line (commandline -cp)
            set -l words (budget-run "[suggest:"(string length -- "$line")"]" "$line" 2>/dev/null)
            # Nothing to suggest (the value of --control-token-file, install's PATH; the answer is
            # then one empty line): files, as bash's -o default does.
            if test -n "$words"
                printf '%s\n' $words
            else
                __fish_complete_path (commandline -ct)
            end
        end
        complete -c budget-run -f -a '(__budget_run_complete)'

        """;
}
