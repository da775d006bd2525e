using System.Text;
using BudgetRun.Cli.CommandLine;
using BudgetRun.Cli.Text;
using Serilog.Events;
using Serilog.Parsing;

namespace BudgetRun.Cli.Logging;

/// <summary>
/// The one way to write a line to stderr outside the logger: usage errors (exit 2), no such
/// account (66), an unreachable ledger (69), a failing stdout (74), install (73) and the
/// subcommands' warnings. Text: <c>budget-run: TEXT</c>, escaped by <see cref="HumanText"/> so it
/// stays one line. JSON: one object of the log format (<see cref="JsonLineFormatter"/>).
/// </summary>
internal static class StderrLine
{
    private static readonly MessageTemplate Template = new MessageTemplateParser().Parse("{Text:l}");

    /// <summary>
    /// The format of this process's stderr, set once at start from the command line (before it is
    /// parsed, so that an error in any flag already comes out in it).
    /// </summary>
    public static LogFormat Format { get; set; } = LogFormat.Text;

    /// <summary>Writes one line; a stderr that is closed or full is left to the exit code.</summary>
    public static void Write(LogEventLevel level, string text)
    {
        string line;
        if (Format == LogFormat.Json)
        {
            var json = new StringWriter();
            new JsonLineFormatter().Format(new LogEvent(TimeProvider.System.GetLocalNow(), level, null, Template,
                [new LogEventProperty("Text", new ScalarValue(text))]), json);
            line = json.ToString();
        }
        else
        {
            line = $"budget-run: {HumanText.Escape(text)}\n";
        }
        try
        {
            using var stderr = new StandardStream(2);
            stderr.Write(Encoding.UTF8.GetBytes(line));
        }
        catch (IOException)
        {
            // stderr is gone too: the exit code says it
        }
    }

    public static void Error(string text) => Write(LogEventLevel.Error, text);

    public static void Warning(string text) => Write(LogEventLevel.Warning, text);
}
