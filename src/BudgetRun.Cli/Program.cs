using System.CommandLine;
using System.CommandLine.Help;
using System.Reflection;
using System.Runtime.InteropServices;
using BudgetRun.Cli.CommandLine;
using BudgetRun.Cli.Hosting;
using BudgetRun.Cli.Logging;
using BudgetRun.Cli.Subcommands;
using BudgetRun.Engine;
using BudgetRun.Engine.Budget;
using Serilog;

namespace BudgetRun.Cli;

internal static class Program
{
    /// <summary>
    /// The main thread runs <see cref="MainAsync"/> and then, while it awaits, the children's exits
    /// (<see cref="BudgetRun.Engine.Processes.ThreadLoop"/>): a plain run never starts the thread pool.
    /// </summary>
    public static int Main(string[] args) => BudgetRun.Engine.Processes.ThreadLoop.Main.Run(() => MainAsync(args));

    private static async Task<int> MainAsync(string[] args)
    {
        NetworkCompanion.Arguments = args;
        var options = new CliOptions();
        var root = options.CreateRoot();
        StderrLine.Format = LogFormatScan.Of(args, root);
        Log.Logger = LoggingSetup.Create(StderrLine.Format);
        try
        {
            if (args.Length > 0 && args[0].StartsWith(CompletionCommand.SuggestDirective, StringComparison.Ordinal))
            {
                // A completion script asking what completes a line (budget-run completion).
                return CompletionCommand.Suggest(root, args);
            }
            var (ours, command) = ArgumentSplitter.Split(args, root);
            var parsed = root.Parse(ours, new ParserConfiguration { ResponseFileTokenReplacer = null });

            if (parsed.Action is HelpAction)
            {
                using var stdout = StandardStream.Writer(1);
                return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stdout, EnableDefaultExceptionHandler = false });
            }
            if (parsed.Action?.GetType().DeclaringType == typeof(VersionOption))
            {
                using var stdout = StandardStream.Writer(1);
                await stdout.WriteLineAsync($"budget-run {VersionText()}").ConfigureAwait(false);
                return ExitCodes.Success;
            }
            if (parsed.CommandResult.Command == options.Budget)
            {
                throw new UsageException(BudgetWithoutSubcommand(options, ours));
            }
            if (parsed.Errors.Count > 0)
            {
                throw new UsageException(parsed.Errors[0].Message);
            }
            CheckLogFormat(parsed);
            var subcommand = parsed.CommandResult.Command;
            if (subcommand == options.Install)
            {
                return await InstallCommand.RunAsync(parsed.GetValue(options.InstallDestination)!).ConfigureAwait(false);
            }
            if (subcommand == options.Completion)
            {
                return await CompletionCommand.RunAsync(parsed.GetValue(options.CompletionShell)!).ConfigureAwait(false);
            }
            if (subcommand == options.Reap)
            {
                return await ReapCommand.RunAsync(options, parsed).ConfigureAwait(false);
            }
            if (subcommand == options.Serve)
            {
                // The sidecar is all network: the lean binary hands it over before reading a flag of it.
                return NetworkFeatures.IsSupported
                    ? await ServeHost.RunAsync(options, parsed, Environment.GetEnvironmentVariable).ConfigureAwait(false)
                    : NetworkCompanion.Exec("serve");
            }
            foreach (var budget in new[] { options.BudgetSet, options.BudgetShow, options.BudgetList })
            {
                if (subcommand == budget.Command)
                {
                    return await BudgetCommands.RunAsync(budget, parsed, Environment.GetEnvironmentVariable).ConfigureAwait(false);
                }
            }
            if (subcommand == options.History.Command)
            {
                return await HistoryCommand.RunAsync(options.History, parsed, Environment.GetEnvironmentVariable).ConfigureAwait(false);
            }
            foreach (var account in new[] { options.Status, options.Kill, options.Resume })
            {
                if (subcommand == account.Command)
                {
                    return await AccountCommands.RunAsync(account, parsed, Environment.GetEnvironmentVariable).ConfigureAwait(false);
                }
            }

            // `budget-run statsu`: a typo of a subcommand, not a program, is told as one (and starts nothing).
            if (args.Length > 0 && command.Length > 0 && args[0] == command[0]
                && SubcommandTypo.Suggest(command[0], Environment.GetEnvironmentVariable("PATH")) is { } meant)
            {
                // The words after it were meant for that subcommand: its --log-format counts.
                StderrLine.Format = LogFormatScan.Of([meant, .. args[1..]], root);
                StderrLine.Error($"unknown command '{command[0]}'; did you mean '{meant}'?");
                return ExitCodes.NotFound;
            }

            var settings = new SettingsBinder(options, parsed, Environment.GetEnvironmentVariable).Bind(command);
            if (settings.LogFormat != StderrLine.Format)
            {
                await Log.CloseAndFlushAsync().ConfigureAwait(false);
                Log.Logger = LoggingSetup.Create(settings.LogFormat);
            }
            return await RunHost.RunAsync(settings, Log.Logger).ConfigureAwait(false);
        }
        catch (LedgerUnavailableException ex)
        {
            // Fail closed: no attempt started without a reservation.
            StderrLine.Error(ex.Message);
            return ExitCodes.LedgerUnavailable;
        }
        catch (BudgetRun.Ledgers.AccountNotFoundException ex)
        {
            StderrLine.Error(ex.Message);
            return ExitCodes.NoSuchAccount;
        }
        catch (StandardStreamException ex) when (ex.Fd == 1)
        {
            // `budget-run --help | head -1`, `--version >/dev/full`: no stack trace. A reader that has
            // gone is no error worth a line (exit as if SIGPIPE had ended us, as it ends `yes`); a
            // full or failing stdout is said once on stderr.
            if (ex.Errno == StandardStreamException.EPIPE)
            {
                return ExitCodes.BrokenPipe;
            }
            StderrLine.Error($"cannot write to stdout: {ex.Reason}");
            return ExitCodes.OutputFailed;
        }
        catch (UsageException ex)
        {
            StderrLine.Error($"{ex.Message} (see budget-run --help)");
            return ExitCodes.Usage;
        }
        catch (CompanionMissingException ex)
        {
            StderrLine.Error(ex.Message);
            return ExitCodes.InternalError;
        }
        catch (DllNotFoundException)
        {
            // Only the framework-dependent build (the `any` tool package, `dotnet run`) loads the
            // helper from a file; the Native AOT binary has it linked in.
            StderrLine.Error($"budget-run's native helper (libbudgetrun_native.so) is missing or not built for this machine ({RuntimeInformation.RuntimeIdentifier}): "
                + "install the Native AOT build for this platform, or build budget-run from source here");
            return ExitCodes.InternalError;
        }
#pragma warning disable CA1031 // the last line of defence: one clear line instead of a crash
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.Fatal(ex, "budget-run failed unexpectedly");
            return ExitCodes.InternalError;
        }
        finally
        {
            await Log.CloseAndFlushAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A <c>--log-format</c> of any command (run, serve, the subcommands) is text or json.</summary>
    private static void CheckLogFormat(ParseResult parsed)
    {
        foreach (var result in parsed.CommandResult.Children.OfType<System.CommandLine.Parsing.OptionResult>())
        {
            if (result.Option.Name == "--log-format" && result.Tokens.Count > 0 && result.Tokens[^1].Value is var value && value is not ("text" or "json"))
            {
                throw new UsageException($"--log-format: '{value}' is not one of text, json");
            }
        }
    }

    /// <summary>"0.1.0 (commit abc1234)" from the informational version the SDK stamps with the commit.</summary>
    /// <summary>
    /// <c>budget</c> alone, or with a word that is none of its subcommands: the parser would only say
    /// "Required command was not provided"; this names them, and the one a typo meant.
    /// </summary>
    private static string BudgetWithoutSubcommand(CliOptions options, string[] ours)
    {
        var names = options.Budget.Subcommands.Select(command => command.Name).ToArray();
        var at = Array.IndexOf(ours, options.Budget.Name);
        var word = at >= 0 && at + 1 < ours.Length && !ours[at + 1].StartsWith('-') ? ours[at + 1] : null;
        if (word is null)
        {
            return $"budget needs a subcommand: {string.Join(", ", names[..^1])} or {names[^1]}";
        }
        var meant = names.FirstOrDefault(name => SubcommandTypo.Distance(word, name) == 1);
        return meant is null
            ? $"unknown budget subcommand '{word}': use {string.Join(", ", names[..^1])} or {names[^1]}"
            : $"unknown budget subcommand '{word}'; did you mean 'budget {meant}'?";
    }

    private static string VersionText()
    {
        var informational = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        if (plus < 0)
        {
            return $"{informational} (commit unknown)";
        }
        var commit = informational[(plus + 1)..];
        return $"{informational[..plus]} (commit {commit[..Math.Min(12, commit.Length)]})";
    }
}
