using BudgetRun.Cli.Text;
using Serilog.Events;
using Serilog.Formatting;

namespace BudgetRun.Cli.Logging;

/// <summary>
/// The human text log format: every event is rendered by <paramref name="inner"/> (a template
/// without <c>{NewLine}</c> or <c>{Exception}</c>) and then escaped whole by
/// <see cref="HumanText"/>, so no property value, template or framework message can forge a log
/// line or send a terminal escape. An exception follows on one line of its own, escaped as well.
/// </summary>
internal sealed class EscapingTextFormatter(ITextFormatter inner) : ITextFormatter
{
    public void Format(LogEvent logEvent, TextWriter output)
    {
        var line = new StringWriter();
        inner.Format(logEvent, line);
        output.Write(HumanText.Escape(line.ToString()));
        output.Write('\n');
        if (logEvent.Exception is { } exception)
        {
            output.Write(HumanText.Escape(exception.ToString()));
            output.Write('\n');
        }
    }
}
